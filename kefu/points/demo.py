"""Points demo data (服务价值积分演示数据), written through the real services with the clock set back:
a catalogue, three months of ledgers for the demo agents (latent needs tagged on their resolved
tickets, praise tickets and survey comments marked as praise, hand awards), suggestions in every
state, redemptions (approved, one time off that became leave, one waiting for lead1, one rejected)
and the 服务之星 of the last two months."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import DomainError
from kefu.points import selectors, services
from kefu.points.access import may_decide_for
from kefu.points.config import points_settings
from kefu.surveys.choices import SurveyStatus
from kefu.surveys.models import Survey
from kefu.tickets.choices import TicketKind, TicketStatus
from kefu.tickets.models import Ticket
from kefu.tickets.services import ticket_update

SEED = 20261207
ITEMS = [
    ("沟通技巧进阶培训", "training", 60, "外部讲师一天课程，含证书", None),
    ("Excel 数据分析培训", "training", 40, "线上课程 8 课时", None),
    ("调休半天", "time_off", 40, "由班组长审批，自动生成已批准的请假", 4),
    ("调休一天", "time_off", 80, "超过半天由中心经理审批", 8),
    ("定制保温杯", "gift", 15, "", None),
    ("电影票两张", "gift", 25, "", None),
]
LATENT_REASONS = ["客户咨询资费时推荐了融合套餐", "发现客户有宽带提速需求", "主动告知客户以旧换新活动"]
HAND_REASONS = ["主动帮助新同事熟悉系统", "高峰期主动加班支援", "整理案例入库 3 篇", "季度零投诉"]
SUGGESTIONS = [
    ("话术库支持拼音首字母搜索", "找话术时输入 tkbl 就能找到退款办理，节省查找时间。", "adopt"),
    ("回访改在下午四点后", "上午客户多在上班，接通率低；建议回访集中在 16:00 以后。", "adopt"),
    ("工单详情页显示客户最近三次来电", "减少反复询问客户历史问题。", "review"),
    ("取消纸质交接班记录", "交接信息直接写在系统备注里。", "reject"),
    ("高峰期开放弹性班次", "晚高峰 19:00-21:00 人手不足。", "submit"),
]


@contextmanager
def _clock_at(moment: datetime) -> Iterator[None]:
    """timezone.now() answers `moment` (single-threaded loader only), so rows are stamped in the past."""
    real = timezone.now
    timezone.now = lambda: moment  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = real  # type: ignore[assignment]


def _lead_of(agent: User, leads: list[User], manager: User) -> User:
    return next((lead for lead in leads if may_decide_for(lead, agent)), manager)


def load_points_demo(*, manager: User) -> None:
    rng = random.Random(SEED)
    now = timezone.now()
    cfg = points_settings()
    items = {
        name: services.item_save(actor=manager, name=name, kind=kind, cost=cost, description=desc, leave_hours=hours)
        for name, kind, cost, desc, hours in ITEMS
    }
    agents = list(User.objects.filter(role=Role.AGENT, is_active=True, team__isnull=False).order_by("pk"))
    leads = list(User.objects.filter(role=Role.TEAM_LEAD, is_active=True).order_by("pk"))
    if not agents:
        return

    # Latent needs: the lead tags some resolved tickets of each agent (the rule pays +3).
    done = list(
        Ticket.objects.filter(status__in=(TicketStatus.RESOLVED, TicketStatus.CLOSED), assignee__in=agents)
        .exclude(resolved_at=None).order_by("pk").values_list("pk", "number", "assignee_id", "resolved_at")
    )
    by_agent = {a.pk: a for a in agents}
    for pk, number, assignee_id, resolved_at in rng.sample(done, min(len(done), max(12, len(agents) * 3))):
        lead = _lead_of(by_agent[assignee_id], leads, manager)
        with _clock_at(resolved_at + timedelta(hours=2)):  # type: ignore[operator,arg-type]  # resolved_at is set (filtered)
            try:
                ticket_update(actor=lead, number=number, changes={}, tags=[cfg.latent_need_tag])
            except DomainError:
                continue  # the ticket left the lead's team
            services.points_award_from_ticket(ticket_id=pk)
    # Praise tickets (表扬) that were resolved pay their agent +5, as the reaction would have then.
    for pk, resolved_at in Ticket.objects.filter(
        kind=TicketKind.PRAISE, status__in=(TicketStatus.RESOLVED, TicketStatus.CLOSED)
    ).exclude(resolved_at=None).values_list("pk", "resolved_at"):
        with _clock_at(resolved_at + timedelta(minutes=5)):  # type: ignore[operator,arg-type]  # resolved_at is set (filtered)
            services.points_award_from_ticket(ticket_id=pk)
    # Survey comments from satisfied customers, marked as praise by the lead.
    for survey in Survey.objects.filter(status=SurveyStatus.ANSWERED, csat=5, agent__in=agents).exclude(comment="").select_related("agent").order_by("pk")[:15]:
        assert survey.agent is not None and survey.answered_at is not None
        with _clock_at(survey.answered_at + timedelta(hours=3)):
            try:
                services.praise_mark_survey(actor=_lead_of(survey.agent, leads, manager), survey_id=survey.pk)
            except DomainError:
                pass
    # Hand awards over the last three months.
    for agent in agents:
        lead = _lead_of(agent, leads, manager)
        for _i in range(rng.randint(2, 5)):
            with _clock_at(now - timedelta(days=rng.randint(1, 85), hours=rng.randint(0, 8))):
                services.points_award(actor=lead, agent_id=agent.pk, points=rng.choice([3, 5, 8, 10]), reason=rng.choice(HAND_REASONS + LATENT_REASONS))
    # One award above the threshold waits for the manager.
    services.points_award(actor=_lead_of(agents[1 % len(agents)], leads, manager), agent_id=agents[1 % len(agents)].pk, points=30, reason="双十一攻坚期连续 7 天零差评")

    # Suggestions in every state.
    for i, (title, body, outcome) in enumerate(SUGGESTIONS):
        author = agents[(i * 3) % len(agents)]
        lead = _lead_of(author, leads, manager)
        with _clock_at(now - timedelta(days=40 - i * 7)):
            s = services.suggestion_submit(actor=author, title=title, body=body)
        with _clock_at(now - timedelta(days=38 - i * 7)):
            if outcome == "adopt":
                services.suggestion_adopt(actor=lead, suggestion_id=s.pk, note="已纳入下月流程优化")
            elif outcome == "review":
                services.suggestion_review(actor=lead, suggestion_id=s.pk, note="和技术部确认可行性")
            elif outcome == "reject":
                services.suggestion_reject(actor=lead, suggestion_id=s.pk, reason="质检需要纸质留档，暂不取消")

    # Redemptions: approved gifts and training, a half day off that became leave, one rejected, one waiting.
    def redeem(agent: User, item: str, at: datetime, *, approve: bool | None, leave_start: datetime | None = None) -> None:
        lead = _lead_of(agent, leads, manager)
        try:
            with _clock_at(at):
                r = services.redemption_request(actor=agent, item_id=items[item].pk, leave_start=leave_start)
            if approve is not None:
                with _clock_at(at + timedelta(hours=3)):
                    services.redemption_decide(actor=lead, redemption_id=r.pk, approve=approve, note="" if approve else "本月名额已满")
        except DomainError:
            pass  # not enough points in this seed, or the leave overlaps: leave it out

    rich = sorted(agents, key=lambda a: -selectors.balance_of(a.pk))
    redeem(rich[0], "定制保温杯", now - timedelta(days=20), approve=True)
    redeem(rich[1 % len(rich)], "电影票两张", now - timedelta(days=12), approve=True)
    redeem(rich[2 % len(rich)], "Excel 数据分析培训", now - timedelta(days=8), approve=True)
    day = (now - timedelta(days=6)).astimezone(timezone.get_current_timezone()).replace(hour=13, minute=30, second=0, microsecond=0)
    redeem(rich[3 % len(rich)], "调休半天", now - timedelta(days=9), approve=True, leave_start=day)
    redeem(rich[4 % len(rich)], "电影票两张", now - timedelta(days=3), approve=False)
    agent1 = User.objects.filter(username="agent1").first() or agents[0]
    services.points_award(actor=_lead_of(agent1, leads, manager), agent_id=agent1.pk, points=10, reason="连续一周满意度 100%")
    redeem(agent1, "定制保温杯", now - timedelta(hours=2), approve=None)

    # 服务之星 of the last two months.
    this_month = timezone.localdate().replace(day=1)
    for back in (2, 1):
        month = this_month
        for _i in range(back):
            month = (month - timedelta(days=1)).replace(day=1)
        try:
            services.star_announce(actor=manager, month=month, citation="积分、满意度、质检综合第一")
        except DomainError:
            pass
