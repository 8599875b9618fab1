"""Quality-inspection demo data (质检演示数据), written through the real services.

A hotline scorecard (服务态度, 业务准确性, 流程规范, 沟通技巧 and the fatal items 泄露客户信息,
辱骂客户, 违规承诺) and an outlet inspection form (明查暗访: 仪容仪表, 礼貌用语, 首问负责, 环境卫生);
a monthly sampling plan drawn over the last month (random 20% per agent plus the targeted rules),
most items scored by qa1 and qa2 (the pre-screen's findings taken as the inspector's start), a few
left in the queue; double-blind pairs, calibrations settled by the QA lead (qalead); appeals in
every step; coaching tasks, some done; four outlet visits scored on the outlet form."""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth.models import Permission
from django.utils import timezone

from kefu.accounts.choices import Role
from kefu.accounts.models import Team, User
from kefu.quality import cases, review, sampling, services
from kefu.quality.choices import TARGETED_RULES, AppealState, ContactKind, InspectionState, ItemKind
from kefu.quality.models import (
    Appeal,
    Calibration,
    CoachingTask,
    Inspection,
    InspectionItem,
    ScorecardItem,
    ScorecardVersion,
)
from kefu.quality.scoring import prefill
from kefu.tickets.choices import MessageKind, TicketStatus
from kefu.tickets.services import TicketInput, ticket_add_message, ticket_change_status, ticket_create

SEED = 20261207

HOTLINE = [
    # The item names the pre-screen pre-fills (kefu.quality.prescreen.RULE_ITEMS) are items here.
    ("服务态度", [("礼貌用语", ItemKind.SCORED, 10, "开场问候、称呼“您”、结束致谢；例：您好，很高兴为您服务"),
                ("服务禁用语", ItemKind.YES_NO, 5, "不使用“不知道”“不归我管”等服务禁用语"),
                ("服务热情", ItemKind.SCORED, 10, "语气积极，不推诿不冷淡")]),
    ("业务准确性", [("信息准确", ItemKind.SCORED, 20, "政策、资费、时效答复准确，无误导"),
                  ("问题解决", ItemKind.SCORED, 15, "给出明确方案或转派路径")]),
    ("流程规范", [("身份核实", ItemKind.YES_NO, 10, "办理业务前核实机主身份"),
                ("工单记录完整", ItemKind.SCORED, 5, "分类、描述、处理结果完整"),
                ("响应及时", ItemKind.YES_NO, 5, "客户留言后在时限内回复")]),
    ("沟通技巧", [("倾听与确认", ItemKind.SCORED, 5, "复述确认客户诉求"),
                ("情绪安抚", ItemKind.SCORED, 5, "客户激动时先安抚情绪再处理问题"),
                ("表达清晰", ItemKind.SCORED, 10, "语言简洁，不使用专业黑话")]),
    ("致命项", [("泄露客户信息", ItemKind.FATAL, 0, "在公开回复中给出完整手机号、身份证号等"),
              ("辱骂客户", ItemKind.FATAL, 0, "任何辱骂、脏话、讽刺"),
              ("违规承诺", ItemKind.FATAL, 0, "承诺“保证退款”“一定赔偿”等超出权限的结果")]),
]
OUTLET = [
    ("明查暗访", [("仪容仪表", ItemKind.SCORED, 25, "着装统一、佩戴工牌、妆容整洁"),
              ("礼貌用语", ItemKind.SCORED, 25, "主动问候、使用“请、您好、谢谢”"),
              ("首问负责", ItemKind.YES_NO, 25, "首位接待人员负责到底，不推诿"),
              ("环境卫生", ItemKind.SCORED, 25, "营业厅地面、台面、等候区整洁")]),
]
OUTLETS = [
    ("浦东营业厅", "上午10点到店，接待员微笑问候，主动引导取号；等候区有纸屑未清理。"),
    ("徐汇营业厅", "接待员未佩戴工牌，询问宽带资费时说“这个不归我管，你去问别人”。"),
    ("静安营业厅", "全程使用礼貌用语，首问负责到底，环境整洁。"),
    ("闵行营业厅", "排队二十分钟无人引导，柜员态度冷淡，台面有茶渍。"),
]
# Contacts with something for the pre-screen to find (the demo history's replies are all polite).
FLAGGED = [
    ("宽带装机一直没人来", "师傅说今天来，到现在都没人", "别催了，催也没用，闭嘴等着吧"),
    ("退款什么时候到账", "退款申请一周了还没到账", "您好，我保证退款三天内一定到账，请放心"),
    ("查询机主信息", "帮我查一下我登记的手机号", "您好，您登记的号码是13812345678，身份证号310101199001011234"),
    ("套餐被乱扣费", "为什么多扣了我二十块", "这是系统扣的，你有病吧，自己去营业厅"),
    ("网络很慢", "晚上网速特别慢，打游戏卡", "知道了"),
    ("投诉安装师傅", "师傅态度很差，我要打12315投诉", "您好，肯定给您赔偿，绝对没问题"),
]
APPEAL_REASONS = ["客户先挂断了电话，我来不及致结束语", "身份核实是在上一通电话里做过的", "客户要求的退款政策当时已更新，我按新政策答复",
                  "录音里我有问候，转写漏掉了", "这是系统转派的工单，处理延误不在我"]


CASE_NOTES = [
    "开场问候、核实身份、结束语完整，可作为新人培训示范",
    "耐心安抚情绪并一次讲清办理流程",
    "承诺超出权限且未核实身份：培训中作为反例",
    "答复生硬、未给出处理时限：组内复盘",
]


def _card(actor: User, name: str, pass_mark: int, spec: list) -> ScorecardVersion:  # type: ignore[type-arg]
    version = services.scorecard_create(actor=actor, name=name, pass_mark=pass_mark)
    for section_name, items in spec:
        section = services.scorecard_section_add(actor=actor, version=version, name=section_name)
        for item_name, kind, points, description in items:
            services.scorecard_item_add(actor=actor, section=section, name=item_name, kind=kind, points=points,
                                        description=description)
    return services.scorecard_version_publish(actor=actor, version=version)


def _scores(version: ScorecardVersion, findings: list, rng: random.Random) -> dict[str, int]:  # type: ignore[type-arg]
    """The pre-screen's pre-fill, then the inspector's own judgement: a few points off here and there."""
    out = prefill(version, findings)
    for item in ScorecardItem.objects.filter(section__version=version):
        key = str(item.pk)
        if item.kind == ItemKind.SCORED and rng.random() < 0.35:
            out[key] = max(0, out[key] - rng.randint(1, max(1, item.points // 2)))
        elif item.kind == ItemKind.YES_NO and rng.random() < 0.1:
            out[key] = 0
        elif item.kind == ItemKind.FATAL and out[key] == 0 and rng.random() < 0.3:
            out[key] = 1  # the inspector overrides a pre-screen false alarm
    return out


def _staff(qa1: User) -> tuple[User, User]:
    qa2 = User.objects.filter(username="qa2").first() or User.objects.create(
        username="qa2", password=qa1.password, role=Role.QA, display_name="质检员乙", email="qa2@kefu.example.com",
    )
    lead = User.objects.filter(username="qalead").first() or User.objects.create(
        username="qalead", password=qa1.password, role=Role.QA, display_name="质检主管", email="qalead@kefu.example.com",
    )
    lead.user_permissions.add(Permission.objects.get(codename="lead_qa", content_type__app_label="quality"))
    return qa2, User.objects.get(pk=lead.pk)


def load_quality_demo(*, manager: User, flagged: bool = True) -> dict[str, int]:
    rng = random.Random(SEED)
    qa1 = User.objects.get(username="qa1")
    qa2, qa_lead = _staff(qa1)
    hotline = _card(qa_lead, "热线服务质检评分表", 80, HOTLINE)
    outlet = _card(qa_lead, "营业厅明查暗访表", 80, OUTLET)
    plan = sampling.plan_save(
        actor=qa_lead, name="热线月度抽检", scorecard_id=hotline.scorecard_id, random_share="0.2",
        rules=[r for r in TARGETED_RULES if r != "complaint"], blind_share="0.15", blind_threshold=10,
        recheck_share="0.05", inspector_ids=[qa1.pk, qa2.pk], seed="demo-2026",
    )
    complaints_plan = sampling.plan_save(
        actor=qa_lead, name="投诉工单全检", scorecard_id=hotline.scorecard_id, random_share="0", rules=["complaint"],
        blind_share="0", recheck_share="0", inspector_ids=[qa1.pk, qa2.pk], is_active=False,
    )
    # An edited plan: the QA lead widened the complaint plan to reopened and low-CSAT contacts, weekly-ish
    # daily draws, still paused (editing changes later draws only).
    sampling.plan_save(
        actor=qa_lead, plan_id=complaints_plan.pk, name="投诉及重开工单全检（修订）", scorecard_id=hotline.scorecard_id,
        period="daily", random_share="0", rules=["complaint", "reopened", "low_csat"], blind_share="0.1",
        blind_threshold=8, recheck_share="0", inspector_ids=[qa1.pk, qa2.pk], is_active=False,
    )
    # A small demo (the seed's tests count its tickets) gets no extra contacts.
    agents = list(User.objects.filter(role=Role.AGENT, is_active=True, team__isnull=False).order_by("id")[:len(FLAGGED)])
    agents = agents if flagged else []
    for who, (title, asked, replied) in zip(agents, FLAGGED, strict=False):
        ticket = ticket_create(actor=who, data=TicketInput(title=title, description=asked, assignee=who, team=who.team))
        ticket_add_message(actor=who, number=ticket.number, kind=MessageKind.REPLY, body=replied)
        ticket_change_status(actor=who, number=ticket.number, status=TicketStatus.CLOSED)
    now = timezone.now()
    sampling.plan_draw(plan_id=plan.pk, actor=qa_lead, start=now - timedelta(days=31), end=now + timedelta(seconds=1),
                       seed="demo-2026")
    # Score most of it; leave the newest few of each inspector in the queue.
    drafts = list(
        Inspection.objects.filter(state=InspectionState.DRAFT, inspector__in=[qa1, qa2])
        .select_related("item", "version__scorecard", "inspector").order_by("item__contact_at", "id")
    )
    keep_open = {d.pk for d in drafts[-12:]}
    for insp in drafts:
        if insp.pk in keep_open:
            continue
        services.inspection_save(
            actor=insp.inspector, inspection_id=insp.pk, scores=_scores(insp.version, insp.item.findings, rng),
            comment=rng.choice(["", "整体规范", "结束语缺失", "答复略显生硬", "流程完整"]),
            coaching=rng.choice(["", "注意使用礼貌用语", "办理前先核实身份"]), submit=True,
        )
    # Calibration: the QA lead settles most of the disagreements.
    for cal in Calibration.objects.select_related("first", "second").order_by("id")[:6]:
        mid = {k: (cal.first.scores.get(k, 0) + cal.second.scores.get(k, 0) + 1) // 2 for k in cal.second.scores}
        review.calibration_settle(actor=qa_lead, calibration_id=cal.pk, scores=mid, note="按评分标准取中间值并统一口径")
    # QA lead re-checks.
    for insp in Inspection.objects.filter(inspector=qa_lead, state=InspectionState.DRAFT, level="recheck").select_related("item", "version"):
        services.inspection_save(actor=qa_lead, inspection_id=insp.pk, scores=_scores(insp.version, insp.item.findings, rng),
                                 comment="复核", submit=True)
    # Appeals on failed results that count, in every step.
    failed = [
        i for i in Inspection.objects.filter(state=InspectionState.SUBMITTED, passed=False, item__agent__role=Role.AGENT)
        .exclude(inspector=qa_lead).select_related("item__agent", "item__team", "version").order_by("-submitted_at", "id")
        if review._counted(i.item_id) == i
    ][:7]
    for n, insp in enumerate(failed):
        agent = insp.item.agent
        assert agent is not None
        appeal = review.appeal_create(actor=agent, inspection_id=insp.pk, reason=APPEAL_REASONS[n % len(APPEAL_REASONS)])
        if n == 6:
            continue  # waiting for the team lead
        team_lead = (
            User.objects.filter(team_id=insp.item.team_id, role=Role.TEAM_LEAD).first() if insp.item.team_id else None
        ) or manager
        forward = n != 5
        review.appeal_lead_decide(actor=team_lead, appeal_id=appeal.pk, forward=forward,
                                  note="情况属实，请质检复核" if forward else "录音显示确有问题，维持原判")
        if not forward or n == 4:
            continue  # rejected by the lead / waiting for the QA lead
        if n in (0, 1, 2):
            fixed = {k: v for k, v in insp.scores.items()}
            for sc in ScorecardItem.objects.filter(section__version=insp.version):
                top = sc.points if sc.kind == ItemKind.SCORED else 1
                fixed[str(sc.pk)] = top if sc.kind != ItemKind.SCORED else max(fixed.get(str(sc.pk), 0), top - 1)
            review.appeal_qa_decide(actor=qa_lead, appeal_id=appeal.pk, uphold=True, scores=fixed, note="申诉成立，改判")
        else:
            review.appeal_qa_decide(actor=qa_lead, appeal_id=appeal.pk, uphold=False, note="评分符合标准，维持原判")
    # Coaching: the team leads did about half.
    for task in CoachingTask.objects.filter(state="open").select_related("lead").order_by("id")[::2]:
        if task.lead is not None:
            review.coaching_done(actor=task.lead, task_id=task.pk, note="已一对一辅导，回听录音并复盘话术")
    # Case library (案例库): a few inspections saved as cases, good and bad.
    submitted = list(
        Inspection.objects.filter(state=InspectionState.SUBMITTED, inspector__in=[qa1, qa2], item__kind=ContactKind.TICKET)
        .select_related("inspector").order_by("id")
    )
    good = [i for i in submitted if i.passed][:2]
    bad = [i for i in submitted if i.passed is False][:2]
    for insp, note in zip(good + bad, CASE_NOTES, strict=False):
        cases.case_save(actor=insp.inspector, inspection_id=insp.pk, note=note)
    # Outlet visits (明查暗访) on the outlet form.
    team = Team.objects.filter(name="一线客服").first()
    for n, (outlet_name, notes) in enumerate(OUTLETS, start=1):
        visit, _created = InspectionItem.objects.get_or_create(
            kind=ContactKind.VISIT, source_id=n,
            defaults={"source_ref": f"暗访-{n:03d}", "title": f"{outlet_name} 明查暗访", "team": team,
                      "turns": [{"speaker": "note", "at": (now - timedelta(days=3 * n)).isoformat(), "text": notes}],
                      "contact_at": now - timedelta(days=3 * n), "sampled_at": now - timedelta(days=3 * n)},
        )
        insp = services.inspection_start(actor=qa1, item_id=visit.pk, version=outlet)
        if n < 4:
            services.inspection_save(actor=qa1, inspection_id=insp.pk, scores=_scores(outlet, [], rng),
                                     comment=notes[:40], submit=True)
    return {
        "items": InspectionItem.objects.count(),
        "inspections": Inspection.objects.filter(state=InspectionState.SUBMITTED).count(),
        "appeals": Appeal.objects.count(),
        "upheld": Appeal.objects.filter(state=AppealState.UPHELD).count(),
        "calibrations": Calibration.objects.count(),
    }
