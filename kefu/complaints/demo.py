"""Complaint-management demo data (投诉管理演示数据), written through the real services.

The demo's own complaint tickets were counted as they were created (the after-commit reaction).
This replays the detector day by day over the last month (a warning history, the older ones
handled and closed), then a simulated broadband outage: 40 complaints in the last 90 minutes in
one category, which the hourly check raises as a red warning. An incident is opened from it (40
linked tickets) with compensation in every state; public-opinion posts are imported; resolved
complaints get root causes for the Pareto."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone

from kefu.accounts.models import User
from kefu.complaints import services
from kefu.complaints.choices import OPEN_WARNING_STATUSES
from kefu.complaints.models import Complaint, ComplaintWarning, JointTask, JointTaskRule
from kefu.customers.models import Customer
from kefu.tickets.choices import Channel, TicketKind, TicketStatus
from kefu.tickets.models import Category, Ticket
from kefu.tickets.services import TicketInput, ticket_create

SEED = 20261207
OUTAGE_TITLES = [
    "宽带突然断网，一直连不上",
    "家里网络全断了，什么时候恢复",
    "光猫红灯闪烁，无法上网",
    "整栋楼都没网了",
    "断网一上午了，影响工作要求赔偿",
]
POSTS = [
    (
        "weibo",
        "数码小王",
        "https://weibo.com/demo/1",
        "又斷網了！宽带整个小区都没网，打客服电话一直排队，准备去12315投訴",
    ),
    ("weibo", "上海阿姨", "https://weibo.com/demo/2", "宽带断网三个小时了，客服说在抢修，希望尽快恢复"),
    (
        "weibo",
        "转发君",
        "https://weibo.com/demo/3",
        "又断网了！宽带整个小区都没网，打客服电话一直排队，准备去12315投诉",
    ),
    (
        "wechat",
        "本地生活号",
        "https://mp.weixin.qq.com/demo/4",
        "记者调查：多区宽带大面积故障，运营商回应正在抢修",
    ),
    ("forum", "老用户", "https://bbs.example.cn/demo/5", "客服小姐姐态度很好，帮我把套餐问题解决了"),
    ("weibo", "维权达人", "https://weibo.com/demo/6", "退款难！说好的补偿到现在没到账，这种公司就是骗子"),
]
CAUSE_WEIGHTS = [
    ("system", 30),
    ("process_gap", 18),
    ("process_boundary", 12),
    ("attitude", 14),
    ("product_quality", 10),
    ("logistics", 8),
    ("policy", 6),
    ("customer", 2),
]


def _joint_tasks(*, manager: User, lead: User, new_complaint: bool) -> None:
    """Joint handling: the history's VIP complaints got their tasks as they came in; the ones of
    resolved complaints were concluded. One new 重大 complaint of a VIP, with a named expert."""
    expert = (
        User.objects.filter(role="team_lead", is_active=True).exclude(pk=lead.pk).order_by("username").first()
    )
    JointTaskRule.objects.filter(reason__in=["major", "urgent"], expert=None).update(expert=expert)
    done = JointTask.objects.filter(
        status="open", ticket__status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED]
    ).select_related("supervisor")
    for task in done:
        services.joint_task_complete(
            actor=task.supervisor or manager,
            task_id=task.pk,
            result="主管与专家联合核实：已向客户致歉并落实处理方案，客户表示认可。",
        )
    if not new_complaint:
        return
    vip = Customer.objects.filter(is_vip=True).order_by("pk").first()
    agent = User.objects.filter(role="agent", is_active=True).order_by("username").first() or manager
    ticket_create(
        actor=agent,
        data=TicketInput(
            title="多次报修无人处理，再不解决就向12315和媒体投诉",
            description="钻石客户，第三次来电，情绪激动，要求主管出面。",
            kind=TicketKind.COMPLAINT,
            channel=Channel.PHONE,
            customer=vip,
        ),
    )


def load_complaints_demo(*, manager: User, outage: bool = True) -> None:
    rng = random.Random(SEED)
    services.complaints_install_defaults()
    now = timezone.now()
    tz = timezone.get_current_timezone()
    lead = User.objects.filter(role="team_lead", is_active=True).order_by("username").first() or manager

    # A month of daily detection (each morning at 09:00), the older warnings handled and closed.
    services.detector_evaluate(now=now - timedelta(days=31), raise_warnings=False)
    for back in range(30, 0, -1):
        day = (now - timedelta(days=back)).astimezone(tz).date()
        services.detector_evaluate(now=datetime.combine(day, time(9), tz))
    for w in ComplaintWarning.objects.filter(status__in=OPEN_WARNING_STATUSES):
        services.warning_acknowledge(actor=lead, warning_id=w.pk)
        services.warning_assign(actor=lead, warning_id=w.pk, owner=lead)
        services.warning_close(
            actor=lead, warning_id=w.pk, note="已核查：促销活动带来的咨询转投诉，已更新话术并告知一线。"
        )
    services.detector_evaluate(now=now)
    for w in ComplaintWarning.objects.filter(status__in=OPEN_WARNING_STATUSES):
        services.warning_acknowledge(actor=lead, warning_id=w.pk)

    _joint_tasks(manager=manager, lead=lead, new_complaint=outage)
    if not outage:
        return
    # The outage: 40 complaints in the last 90 minutes in the busiest complaint category.
    top = (
        Complaint.objects.exclude(category=None)
        .values("category")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    category = (
        Category.objects.get(pk=top["category"]) if top else Category.objects.filter(is_active=True).first()
    )
    agents = list(User.objects.filter(role="agent", is_active=True).order_by("username")[:10]) or [manager]
    customers = list(Customer.objects.order_by("pk")[:200])
    for i in range(40):
        at = now - timedelta(minutes=90) + timedelta(minutes=90 * i / 40)
        ticket_create(
            actor=rng.choice(agents),
            at=at,
            data=TicketInput(
                title=rng.choice(OUTAGE_TITLES),
                kind=TicketKind.COMPLAINT,
                category=category,
                channel=rng.choice([Channel.PHONE, Channel.PHONE, Channel.WECHAT, Channel.WEB]),
                customer=rng.choice(customers) if customers else None,
            ),
        )
    services.detector_evaluate(now=timezone.now())
    red = (
        (
            ComplaintWarning.objects.filter(
                status__in=OPEN_WARNING_STATUSES, dimension="category", key=str(category.pk)
            )
            .order_by("-level__rank")
            .first()
        )
        if category
        else None
    )
    if red is not None:
        expert = User.objects.filter(role="team_lead").exclude(pk=lead.pk).first()
        incident = services.incident_open(
            actor=manager,
            title=f"宽带大面积故障 {now.astimezone(tz):%Y-%m-%d}",
            warning_id=red.pk,
            supervisor=manager,
            expert=expert,
        )
        services.incident_notify(
            actor=manager,
            incident_id=incident.pk,
            body="您好，您所在区域宽带故障已定位，工程师正在抢修，预计今晚恢复，给您带来不便深表歉意。",
        )
        services.incident_plan(
            actor=manager,
            incident_id=incident.pk,
            plan="受影响用户每户补偿 3 天宽带费（抵扣下月账单）；断网超过 24 小时的加赠 10 元话费。",
        )
        numbers = list(incident.ticket_links.values_list("ticket__number", flat=True)[:8])
        states = ["proposed", "approved", "paid", "refused", "paid", "approved", "proposed", "paid"]
        for number, state in zip(numbers, states, strict=False):
            c = services.compensation_propose(
                actor=lead,
                incident_id=incident.pk,
                kind=rng.choice(["credit", "refund", "gift"]),
                amount=rng.choice(["15.00", "30.00", "50.00", "120.00"]),
                ticket_number=number,
            )
            if state in ("approved", "paid", "refused"):
                c = services.compensation_decide(
                    actor=manager, compensation_id=c.pk, approve=state != "refused"
                )
            if state == "paid":
                services.compensation_pay(actor=manager, compensation_id=c.pk)

    services.posts_import(
        actor=manager,
        rows=[
            {
                "source": s,
                "author": a,
                "url": u,
                "text": t,
                "time": (now - timedelta(minutes=20 * i)).isoformat(),
            }
            for i, (s, a, u, t) in enumerate(POSTS)
        ],
    )

    # Root causes on resolved and closed complaints.
    codes = [c for c, w in CAUSE_WEIGHTS for _ in range(w)]
    done = Ticket.objects.filter(
        kind=TicketKind.COMPLAINT, status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED]
    ).order_by("pk")
    for number, team_id in done.values_list("number", "team_id")[:400]:
        if rng.random() < 0.85:
            services.complaint_cause_set(
                actor=manager,
                number=number,
                cause_code=rng.choice(codes),
                department=None if team_id is None else Ticket.objects.get(number=number).team,
            )
