"""Writes conversations.jsonl: the labelled regression set of the AI pre-screen (seeded, so the file
is reproducible: `.venv/bin/python kefu/quality/tests/data/make_conversations.py`). Hand-written
phrases per scenario; violations (and hard negatives that must NOT fire) are injected at random.
Each line: {id, scenario, next_response_minutes, turns: [{speaker, text, at}], labels: [{rule, turn}]}
where rule is a pre-screen check (abuse, forbidden, leak, promise, greeting, closing, slow, threat,
anger)."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

SEED = 20261207
N = 300
TARGET = 30

SCENARIOS = {
    "宽带": (["我家宽带从昨晚开始就上不了网", "光猫的灯一直在闪红灯", "重启过了还是不行", "什么时候能派人来修"],
             ["请您提供一下宽带账号", "我这边帮您查一下线路状态", "已经为您登记了报修工单", "师傅会在24小时内联系您上门"]),
    "退款": (["我上周退的货钱还没到", "订单显示已经签收退货了", "退款要多久才能到账", "我用的是微信支付"],
             ["我帮您查询一下退款进度", "退款已经提交财务审核了", "一般3到5个工作日原路退回", "到账后会有短信通知您"]),
    "快递": (["我的快递三天没动了", "物流信息一直停在中转站", "里面是生日礼物很急", "能不能帮我催一下"],
             ["我这边联系一下站点", "已经为您催件了", "预计明天可以派送", "有新进展我会第一时间告诉您"]),
    "话费": (["这个月话费怎么多扣了二十块", "我没有订过什么增值业务", "帮我看一下扣费明细", "能退回来吗"],
             ["我帮您查一下本月的账单", "看到有一笔彩铃业务的费用", "已经为您退订了这个业务", "多扣的费用会在下个账期返还"]),
    "会员": (["我的会员怎么突然没了", "明明是连续包月的", "扣了钱但是会员没生效", "账号是用手机号注册的"],
             ["我帮您核实一下会员状态", "系统显示扣款成功但开通失败", "已经为您手动补开了会员", "您重新登录一下看看"]),
    "改签": (["我想把明天的机票改到后天", "改签要收多少手续费", "能换成靠窗的位置吗", "航班号是MU5102"],
             ["我帮您查一下后天的航班", "改签需要补差价一百二十元", "座位我帮您备注靠窗", "改签成功后会短信通知"]),
    "燃气": (["燃气表显示余额不足但我刚充过", "充值记录里能看到", "现在家里做不了饭", "麻烦尽快处理"],
             ["我帮您查一下充值记录", "充值已经到账但表具还没同步", "请您把燃气卡插一下表", "如果还不行我们安排师傅上门"]),
    "银行卡": (["我的银行卡被冻结了", "也没收到任何通知", "今天急着转账", "要怎么解冻"],
              ["我帮您核实一下账户状态", "是因为异地登录触发了风控", "需要您本人带身份证到网点办理", "也可以在手机银行做人脸识别解冻"]),
}
GREET = ["您好，很高兴为您服务", "您好，我是客服小王", "你好，欢迎致电客服中心", "下午好，请问有什么可以帮您",
         "您好，这里是售后服务中心", "亲，您好，我是客服小李", "晚上好，工号1032为您服务", "您好，感谢您的耐心等待"]
NO_GREET = ["请问有什么问题", "嗯，说吧", "什么事", "你要办什么", "请讲", "我看一下"]
CLOSE = ["请问还有其他可以帮您的吗？", "感谢您的来电，祝您生活愉快", "好的，那先这样，再见", "有问题随时联系我们，谢谢",
         "麻烦您稍后对我的服务做个评价，谢谢", "祝您周末愉快，再见"]
NO_CLOSE = ["就这样吧", "处理好了", "你等通知", "好了", "先这样", "已经提交了"]
ABUSE = ["你是不是傻逼啊", "你有病吧，听不懂吗", "滚，别烦我", "神经病，说了多少次了", "你这个白痴", "废物一个",
         "你傻 逼吧", "你是sb吗", "你是煞笔吗", "真是脑殘", "他 妈 的 烦死了", "你個白癡", "闭嘴听我说", "tmd又是你"]
FORBIDDEN = ["这不归我管", "我也没办法，你自己看着办", "你听不懂吗？我已经说过了", "爱找谁就找谁", "有本事你去投诉",
             "你问我我问谁", "急什么，没看我正忙着吗", "说了你也不懂", "這不歸我管", "你到底想怎么样", "不是告诉你了吗",
             "你 自 己 去 查", "这是你自己的问题"]
PROMISE = ["我保证今天给您退款", "肯定给您赔偿的", "您放心，一定退款", "我们百分之百给您解决", "绝对没问题，包您满意",
           "我保證明天到賬", "一定给您补偿两百元", "我向您保证三天内修好"]
PROMISE_NEG = ["退款时间我没法保证，以财务审核为准", "我不能保证一定能赔偿，需要走流程", "这个不一定能退款，要看审核结果",
               "我们会尽快为您处理退款", "赔偿方案需要上级审批"]
LEAK = ["您的手机号是13812345678对吧", "已经发到18911112222这个号码了", "您的身份证号110101199003072316已核验",
        "联系人电话 139-0000-1234 已登记", "身份证 44030619851201003X 信息有误"]
LEAK_NEG = ["您的手机号138****5678对吧", "身份证后四位是2316吗", "订单号是202612071234567890", "工单号是 2026120700045",
            "客服热线是95588", "尾号5678的手机"]
ABUSE_NEG = ["页面往下滚动一下就能看到", "可能被当成垃圾短信拦截了", "垃圾分类的问题请咨询社区", "您先把滚筒洗衣机断电",
             "如果没有病历也可以先报案", "请把USB线拔掉再插上"]
THREAT = ["再不解决我就打12315投诉你们", "我要找媒体曝光你们", "我已经联系律师了，等着收律师函吧", "我要投诉到工信部",
          "我会发微博让大家看看", "不处理我就去消协", "我要起诉你们公司", "信不信我报警", "我要投诉你！"]
ANGER = ["气死我了，什么破服务！！", "你们这什么态度啊，太差劲了", "我都打了多少次了还没解决，受够了", "真是无语，一问三不知",
         "你们就是骗子，坑人", "一直踢皮球，到底有没有人管", "太离谱了吧！！", "凭什么让我等这么久？？", "烦死了，又是这样"]
CALM = ["好的，谢谢", "明白了，麻烦你了", "好的没问题", "那我等通知", "嗯嗯，辛苦了", "行，谢谢你", "可以的",
        "我不会投诉的，就是问问", "不生气，你们慢慢查"]


def make(rng: random.Random, n: int) -> dict:
    scen = rng.choice(list(SCENARIOS))
    cust, agent = SCENARIOS[scen]
    labels: list[dict] = []
    turns: list[dict] = []
    t = datetime(2026, 11, 1, 8, 0) + timedelta(days=rng.randrange(30), minutes=rng.randrange(600))
    violations = set(rng.sample(["abuse", "forbidden", "leak", "promise", "greeting", "closing", "slow", "threat",
                                 "anger"], k=rng.choice([0, 0, 1, 1, 1, 2, 2, 3])))
    hard_neg = rng.random() < 0.5
    n_pairs = rng.randint(3, 6)
    slow_at = rng.randrange(1, n_pairs) if "slow" in violations else -1
    emo_at = rng.randrange(1, n_pairs)
    bad_at = rng.randrange(1, n_pairs)  # agent-side injection pair

    def add(speaker: str, text: str, gap: float) -> int:
        nonlocal t
        t += timedelta(minutes=gap)
        turns.append({"speaker": speaker, "text": text, "at": t.isoformat()})
        return len(turns) - 1

    for p in range(n_pairs):
        ctext = cust[p % len(cust)] if p < len(cust) else rng.choice(CALM)
        if p == emo_at and ("threat" in violations or "anger" in violations):
            kind = "threat" if "threat" in violations else "anger"
            ctext = rng.choice(THREAT if kind == "threat" else ANGER) + ("，" + ctext if rng.random() < 0.3 else "")
            labels.append({"rule": kind, "turn": add("customer", ctext, rng.uniform(1, 5))})
        else:
            if p == emo_at and rng.random() < 0.3:
                ctext = rng.choice(CALM)
            add("customer", ctext, rng.uniform(1, 5))
        if rng.random() < 0.15:
            add("note", rng.choice(["已转二线", "客户情绪稳定", "需回访 13812345678", "疑似重复工单"]), 1)
        gap = rng.uniform(TARGET + 5, TARGET * 4) if p == slow_at else rng.uniform(0.5, TARGET - 2 if hard_neg else 10)
        atext = agent[p % len(agent)]
        if p == 0:
            atext = (rng.choice(NO_GREET) if "greeting" in violations else rng.choice(GREET)) + "，" + atext
        extra: list[tuple[str, str | None]] = []
        if p == bad_at:
            for v in ("abuse", "forbidden", "promise", "leak"):
                if v in violations:
                    extra.append((rng.choice({"abuse": ABUSE, "forbidden": FORBIDDEN, "promise": PROMISE,
                                               "leak": LEAK}[v]), v))
            if hard_neg:
                extra.append((rng.choice(ABUSE_NEG + LEAK_NEG + PROMISE_NEG), None))
        text = "，".join([atext] + [e for e, _ in extra])
        i = add("agent", text, gap)
        if p == slow_at:
            labels.append({"rule": "slow", "turn": i})
        for _, v in extra:
            if v:
                labels.append({"rule": v, "turn": i})
        if p == 0 and "greeting" in violations:
            labels.append({"rule": "greeting", "turn": i})
    last = add("agent", rng.choice(NO_CLOSE if "closing" in violations else CLOSE), rng.uniform(0.5, 3))
    if "closing" in violations:
        labels.append({"rule": "closing", "turn": last})
    return {"id": f"c{n:04d}", "scenario": scen, "next_response_minutes": TARGET, "turns": turns,
            "labels": sorted(labels, key=lambda x: (x["turn"], x["rule"]))}


def main() -> None:
    rng = random.Random(SEED)
    out = Path(__file__).with_name("conversations.jsonl")
    with out.open("w", encoding="utf-8") as f:
        for n in range(N):
            f.write(json.dumps(make(rng, n), ensure_ascii=False) + "\n")
    print(out, N)


if __name__ == "__main__":
    main()
