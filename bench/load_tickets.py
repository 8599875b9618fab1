"""Load N history tickets (with customers, messages and events) through tickets_bulk_import.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench \
        .venv/bin/python bench/load_tickets.py --count 1000000 --processes 2

Appends: run it again to grow the table (the benchmarks measure at 10k, 100k and 1M). Tickets are
spread over the last --days days (default 365), customers are drawn from a pool of --customers
phones (default count/10, matched or created by the import). Deterministic for a given --seed.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

from _setup import bench_cast, django_setup

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉兰志强海燕晓东文博子涵浩然欣怡雨桐"
PHONE_PREFIXES = ["138", "139", "137", "150", "151", "186", "185", "177", "133", "189"]

# (kind, title, description templates); {product}/{place}/{days}/{amount} are filled per ticket.
TOPICS = [
    ("inquiry", "宽带无法上网", "客户反映家里宽带{days}天无法上网，光猫{light}，已重启多次仍然不行。"),
    ("inquiry", "话费账单咨询", "客户对{month}月账单有疑问，认为多扣了{amount}元，要求核实套餐资费。"),
    ("inquiry", "套餐变更咨询", "客户想把现在的套餐改成{product}，询问办理方式和生效时间。"),
    ("inquiry", "订单物流查询", "客户的订单{days}天还没有发货，物流信息一直没有更新，询问什么时候能到{place}。"),
    ("complaint", "退款一直不到账", "客户申请退款已经{days}天，退款一直没有到账，金额{amount}元，情绪比较激动。"),
    ("complaint", "快递员态度恶劣", "客户投诉{place}的快递员态度恶劣，没有送货上门，要求道歉并赔偿。"),
    ("complaint", "发票开具错误", "客户反映发票抬头开错了，需要重新开具增值税专用发票，金额{amount}元。"),
    ("complaint", "重复扣费", "客户发现信用卡被重复扣费{amount}元，要求退还多扣的款项并说明原因。"),
    ("repair", "空调不制冷", "客户家里的{product}空调不制冷，外机有异响，预约{place}师傅上门维修。"),
    ("repair", "冰箱漏水", "客户反映{product}冰箱冷藏室漏水，已经使用{days}个月，申请保修。"),
    ("repair", "手机屏幕碎裂", "客户的{product}手机屏幕碎裂，询问换屏价格和售后网点地址。"),
    ("repair", "车辆保养预约", "车主预约{place}门店做常规保养，车辆行驶里程约{amount}公里，需要更换机油。"),
    ("suggestion", "希望增加夜间客服", "客户建议增加夜间人工客服，晚上十点以后打电话总是排队太久。"),
    ("suggestion", "优化App登录流程", "客户建议简化App登录流程，短信验证码经常收不到，希望支持微信登录。"),
    ("praise", "表扬维修师傅", "客户来电表扬{place}的维修师傅服务热情，一次就把{product}修好了。"),
    ("praise", "感谢客服耐心解答", "客户感谢客服人员耐心解答套餐问题，希望转达谢意。"),
]
PRODUCTS = ["格力", "美的", "海尔", "华为", "小米", "苹果", "荣耀", "畅享套餐", "5G尊享套餐", "家庭融合套餐"]
PLACES = ["北京朝阳区", "上海浦东新区", "广州天河区", "深圳南山区", "杭州西湖区", "成都高新区", "武汉洪山区", "南京鼓楼区"]
LIGHTS = ["红灯闪烁", "光信号灯不亮", "所有灯都正常", "LOS灯红色常亮"]
REPLIES = [
    "您好，已为您登记，工程师会在24小时内联系您。",
    "已核实，多扣的费用会在3到5个工作日内退回原支付账户。",
    "请您提供一下订单号和收货地址，我们马上为您查询。",
    "非常抱歉给您带来不便，我们已经督促相关部门尽快处理。",
    "维修师傅已经派单，预计明天上午上门，请保持电话畅通。",
]
NOTES = ["已联系二线技术支持", "客户为老客户，优先处理", "需要财务部门审核退款", "已升级到投诉处理组"]
CUSTOMER_REPLIES = ["好的，谢谢", "还是没有解决，麻烦再看看", "已经收到了，谢谢你们", "什么时候能处理好？"]
CHANNELS = ["phone"] * 6 + ["web"] * 2 + ["wechat"] * 2 + ["email", "chat", "weibo", "walk_in"]
PRIORITIES = ["normal"] * 14 + ["high"] * 4 + ["urgent"] + ["low"]


def customer(k: int) -> tuple[str, str]:
    name = SURNAMES[k % len(SURNAMES)] + GIVEN[(k * 7) % len(GIVEN)] + GIVEN[(k * 13) % len(GIVEN)]
    return name, f"{PHONE_PREFIXES[k % len(PHONE_PREFIXES)]}{k:08d}"


def rows(*, count: int, days: int, customers: int, seed: int, cast: dict) -> Iterator:
    from kefu.tickets.bulk import ImportMessage, ImportTicket

    rnd = random.Random(seed)
    agents = cast["agents"]
    now = datetime.now().astimezone()
    start = now - timedelta(days=days)
    span = (now - start).total_seconds()
    for i in range(count):
        # Chronological within a run; more recent tickets have more chance to be still open.
        created = start + timedelta(seconds=span * (i + rnd.random()) / count)
        age_days = (now - created).total_seconds() / 86400
        kind, title, tpl = TOPICS[rnd.randrange(len(TOPICS))]
        desc = tpl.format(
            days=rnd.randint(1, 30), light=rnd.choice(LIGHTS), month=rnd.randint(1, 12), amount=rnd.randint(10, 5000),
            product=rnd.choice(PRODUCTS), place=rnd.choice(PLACES),
        )
        if rnd.random() < 0.3:  # an order or account reference makes the text unique
            desc += f"订单号{rnd.randint(10**9, 10**10)}。"
        agent = agents[rnd.randrange(len(agents))]
        if age_days > 14:
            status = "closed" if rnd.random() < 0.99 else rnd.choice(["resolved", "pending_customer", "in_progress"])
        else:
            status = rnd.choice(["new", "assigned", "in_progress", "pending_customer", "resolved", "closed", "closed"])
        assigned = status != "new"
        updated = min(created + timedelta(hours=rnd.uniform(0.1, 72)), now) if assigned else created
        messages = []
        if assigned and rnd.random() < 0.4:
            t = created
            for j in range(rnd.randint(1, 3)):
                t = min(t + timedelta(minutes=rnd.randint(5, 600)), now)
                if j % 2 == 1 and rnd.random() < 0.5:
                    messages.append(ImportMessage(kind="reply", body=rnd.choice(CUSTOMER_REPLIES), created_at=t, from_customer=True))
                elif rnd.random() < 0.2:
                    messages.append(ImportMessage(kind="note", body=rnd.choice(NOTES), created_at=t, author_id=agent.pk))
                else:
                    messages.append(ImportMessage(kind="reply", body=rnd.choice(REPLIES), created_at=t, author_id=agent.pk))
            updated = max(updated, t)
        first_reply = next((m.created_at for m in messages if m.kind == "reply" and not m.from_customer), None)
        name, phone = customer(rnd.randrange(customers))
        yield ImportTicket(
            title=title, description=desc, kind=kind, channel=rnd.choice(CHANNELS), priority=rnd.choice(PRIORITIES),
            status=status, created_at=created, updated_at=updated, customer_name=name, customer_phone=phone,
            team_id=agent.team_id, assignee_id=agent.pk if assigned else None, owner_id=agent.pk if assigned else None,
            first_response_at=first_reply,
            resolved_at=updated if status in ("resolved", "closed") else None,
            closed_at=updated if status == "closed" else None,
            messages=messages,
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--customers", type=int, default=0, help="phone pool size (default count/10, at most 100k)")
    p.add_argument("--batch-size", type=int, default=5000)
    p.add_argument("--processes", type=int, default=2, help="jieba segmentation processes")
    p.add_argument("--seed", type=int, default=0, help="default: the current ticket count, so appends differ")
    args = p.parse_args()
    django_setup()
    from django.db import connection

    from kefu.tickets.bulk import tickets_bulk_import
    from kefu.tickets.models import Ticket

    cast = bench_cast()
    before = Ticket.objects.count()
    customers = args.customers or max(1, min(args.count // 10, 100_000))
    started = time.perf_counter()
    result = tickets_bulk_import(
        actor=cast["manager"],
        rows=rows(count=args.count, days=args.days, customers=customers, seed=args.seed or before, cast=cast),
        batch_size=args.batch_size,
        processes=args.processes,
    )
    elapsed = time.perf_counter() - started
    print(
        f"imported {result.tickets} tickets, {result.messages} messages, {result.events} events, "
        f"{result.customers_created} new customers in {elapsed:.1f}s "
        f"({result.tickets / elapsed:.0f} tickets/s); jieba ran on {result.segmented} distinct texts "
        f"({result.seconds_segmenting:.1f}s), writing {result.seconds_writing:.1f}s; "
        f"numbers {result.first_number} .. {result.last_number}"
    )
    if connection.vendor == "postgresql":
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        print(f"ANALYZE {time.perf_counter() - t:.1f}s")
    print(f"tickets in table: {before} -> {Ticket.objects.count()}")


if __name__ == "__main__":
    main()
