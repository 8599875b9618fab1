"""Reads of SLA state for the pages and the API: per-target views with the remaining business time,
the queue badge, why a policy applied, the "at risk" board, the year view of a calendar.

Remaining business time is computed now, in the policy's calendar (Asia/Shanghai business hours by
default): a running target's stored `elapsed` is as of its last recompute, so the business time
since `computed_at` is added. Visibility: callers pass tickets they already selected through
visibility-aware ticket selectors; the board selects with `visible_tickets_q` itself.
"""

from __future__ import annotations

import calendar as pycalendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core import calendar as core_calendar
from kefu.sla.access import may_see_board
from kefu.sla.choices import DayKind, SlaEventKind, SlaStateChoice, SlaTarget
from kefu.sla.config import SlaConfig, get_config
from kefu.sla.engine import RISK_SHARE
from kefu.sla.models import BusinessCalendar, CalendarDay, SlaEvent, SlaPolicy, TicketSla
from kefu.sla.services import ticket_attrs
from kefu.tickets.access import visible_tickets_q
from kefu.tickets.choices import OPEN_STATUSES, Channel, Priority, TicketKind
from kefu.tickets.models import Ticket

DEFAULT_WARN_SHARE = 50
_ORDER = list(SlaTarget.values)


@dataclass(frozen=True)
class TargetView:
    """One target of one ticket as the pages and the API show it."""

    target: str
    label: str
    state: str  # running / paused / met / breached
    paused: bool
    due_at: datetime | None
    achieved_at: datetime | None
    target_minutes: int
    used: timedelta  # business time used so far (until achieved while achieved)
    remaining: timedelta  # business time left; negative once breached
    share: float  # used / target (1.0 = due)
    level: str  # badge colour: ok / warn / risk / breached / met / paused
    cycle: int
    cycles_breached: int

    @property
    def open(self) -> bool:
        return self.achieved_at is None

    @property
    def breached(self) -> bool:
        return self.state == SlaStateChoice.BREACHED or (self.open and self.remaining <= timedelta(0))

    @property
    def remaining_seconds(self) -> int:
        return int(self.remaining.total_seconds())

    @property
    def used_text(self) -> str:
        return format_business_time(self.used)

    @property
    def state_label(self) -> str:
        return str(SlaStateChoice(self.state).label)

    @property
    def countdown(self) -> str:
        """'2h 05m left' / 'overdue 1h 10m' / 'paused, 40m left' (business time)."""
        if not self.open:
            return str(SlaStateChoice(self.state).label)
        if self.remaining <= timedelta(0):
            return _("overdue %(time)s") % {"time": format_business_time(-self.remaining)}
        if self.paused:
            return _("paused, %(time)s left") % {"time": format_business_time(self.remaining)}
        return _("%(time)s left") % {"time": format_business_time(self.remaining)}


def format_business_time(value: timedelta) -> str:
    """A compact duration: 3d 2h, 2h 05m, 12m (days are 24 h of business time, rare)."""
    minutes = max(0, int(value.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(days)sd %(hours)sh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)sh %(minutes)02dm") % {"hours": hours, "minutes": mins}
    return _("%(minutes)sm") % {"minutes": mins}


def _level(state: str, paused: bool, open_: bool, share: float, warn_share: int) -> str:
    if not open_:
        return "breached" if state == SlaStateChoice.BREACHED else "met"
    if state == SlaStateChoice.BREACHED or share >= 1:
        return "breached"
    if share * 100 >= RISK_SHARE:
        return "risk"
    if paused:
        return "paused"
    if share * 100 >= warn_share:
        return "warn"
    return "ok"


def target_view(row: TicketSla, config: SlaConfig, now: datetime) -> TargetView:
    used = row.elapsed
    open_ = row.achieved_at is None
    if open_ and not row.paused and row.computed_at < now and row.policy_id is not None:
        rule = next((r for r in config.rules if r.id == row.policy_id), None)
        cal = config.calendars.get(rule.calendar_id) if rule is not None else None
        if cal is not None:
            used += core_calendar.business_time_between(row.computed_at, now, cal)
    limit = timedelta(minutes=row.target_minutes)
    share = used / limit if limit else 1.0
    shares = row.moments.get("shares") or [DEFAULT_WARN_SHARE]
    return TargetView(
        target=row.target,
        label=str(SlaTarget(row.target).label),
        state=row.state,
        paused=row.paused,
        due_at=row.due_at,
        achieved_at=row.achieved_at,
        target_minutes=row.target_minutes,
        used=used,
        remaining=limit - used,
        share=share,
        level=_level(row.state, row.paused, open_, share, int(shares[0])),
        cycle=row.cycle,
        cycles_breached=row.cycles_breached,
    )


def _views(rows: Iterable[TicketSla], config: SlaConfig, now: datetime) -> list[TargetView]:
    return sorted((target_view(r, config, now) for r in rows), key=lambda v: _ORDER.index(v.target))


def nearest(views: Sequence[TargetView]) -> TargetView | None:
    """The open target closest to (or furthest past) its due time; running before paused."""
    open_views = [v for v in views if v.open]
    if not open_views:
        return None
    return min(open_views, key=lambda v: (v.paused and v.level != "breached", v.remaining))


def ticket_sla_targets(*, ticket: Ticket, now: datetime | None = None) -> list[TargetView]:
    """Every target of one (already access-checked) ticket, in the order dispatch → resolution."""
    now = now or timezone.now()
    rows = getattr(ticket, "sla_rows_written", None)  # set by sla_recompute on the changing service's row
    return _views(TicketSla.objects.filter(ticket_id=ticket.pk) if rows is None else rows, get_config(), now)


def sla_panel(*, ticket: Ticket, now: datetime | None = None) -> dict[str, Any]:
    """The ticket page's SLA panel: every target, and why its policy applied."""
    return {"targets": ticket_sla_targets(ticket=ticket, now=now), "why": policy_explanation(ticket=ticket)}


def attach_sla(tickets: Sequence[Ticket], *, now: datetime | None = None) -> None:
    """Set `sla_targets_view` (list of TargetView) and `sla_badge` (the nearest open target or None) on
    each ticket of a page: two queries for the whole page (the rows, the configuration token)."""
    if not tickets:
        return
    now = now or timezone.now()
    config = get_config()
    by_ticket: dict[int, list[TicketSla]] = {t.pk: [] for t in tickets}
    for row in TicketSla.objects.filter(ticket_id__in=list(by_ticket)):
        by_ticket[row.ticket_id].append(row)
    for t in tickets:
        views = _views(by_ticket[t.pk], config, now)
        t.sla_targets_view = views  # type: ignore[attr-defined]
        t.sla_badge = nearest(views) if t.status in OPEN_STATUSES else None  # type: ignore[attr-defined]


BADGES_MAX = 200


def sla_badges_for(*, user: User, ticket_ids: Sequence[int], now: datetime | None = None) -> list[Ticket]:
    """The tickets among `ticket_ids` that `user` may see, with their badge attached (the queue's
    self-refresh). At most BADGES_MAX ids; three queries whatever their number."""
    ids = list(ticket_ids)[:BADGES_MAX]
    tickets = list(Ticket.objects.filter(visible_tickets_q(user), pk__in=ids).only("id", "status").order_by("pk"))
    attach_sla(tickets, now=now)
    return tickets


# --- filters -------------------------------------------------------------------------------------------


def sla_filter_q(kind: str, *, now: datetime | None = None) -> Q:
    """Tickets with an open target past RISK_SHARE of its time ("at_risk", breached ones included) or
    with a breached target ("breached": open and overdue, or achieved late). Unknown kinds: no filter."""
    now = now or timezone.now()
    if kind == "at_risk":
        rows = TicketSla.objects.filter(ticket_id=OuterRef("pk"), achieved_at__isnull=True, risk_at__lte=now)
    elif kind == "breached":
        rows = TicketSla.objects.filter(ticket_id=OuterRef("pk")).filter(
            Q(state=SlaStateChoice.BREACHED) | Q(achieved_at__isnull=True, due_at__lte=now)
        )
    else:
        return Q()
    return Q(Exists(rows))


# --- why this policy --------------------------------------------------------------------------------------


def policy_explanation(*, ticket: Ticket) -> dict[str, Any] | None:
    """The policy that applies to `ticket` now and the conditions that made it match, in words."""
    config = get_config()
    attrs = ticket_attrs(
        ticket,
        ticket.category.path if ticket.category_id and ticket.category else None,
        ticket.customer.tier_id if ticket.customer_id and ticket.customer else None,
    )
    try:
        rule = config.policy_for(attrs)
    except LookupError:
        return None
    labels = {
        "kind": (_("Ticket kind"), str(TicketKind(ticket.kind).label)),
        "priority": (_("Priority"), str(Priority(ticket.priority).label)),
        "channel": (_("Channel"), str(Channel(ticket.channel).label)),
        "category": (_("Category"), ticket.category.name if ticket.category_id and ticket.category else "—"),
        "tier": (
            _("Customer tier"),
            ticket.customer.tier.name if ticket.customer_id and ticket.customer and ticket.customer.tier else "—",
        ),
    }
    matched = [{"condition": labels[c][0], "value": labels[c][1]} for c in rule.matched_conditions()]
    calendar = BusinessCalendar.objects.filter(pk=rule.calendar_id).values_list("name", flat=True).first()
    return {
        "name": rule.name,
        "is_default": rule.is_default,
        "matched": matched,
        "calendar": calendar or "",
        "pause_statuses": list(rule.pause_statuses),
        "warn_shares": list(rule.shares()),
    }


# --- the "at risk" board ------------------------------------------------------------------------------


@dataclass
class RiskRow:
    ticket: Ticket
    view: TargetView


@dataclass
class RiskGroup:
    team: str
    rows: list[RiskRow]
    breached: int


def at_risk_board(*, user: User, now: datetime | None = None, limit: int = 500) -> list[RiskGroup]:
    """Open tickets with a target past 80 % or breached, grouped by team, worst first. Team leads see
    their team, managers and admins every team; anyone else gets nothing (the view refuses them).
    Four queries whatever the number of tickets (tickets, SLA rows, config token, none per row)."""
    if not may_see_board(user):
        return []
    now = now or timezone.now()
    qs = (
        Ticket.objects.filter(visible_tickets_q(user), sla_filter_q("at_risk", now=now), status__in=OPEN_STATUSES)
        .select_related("team", "assignee", "customer")
        .only(
            "id", "number", "title", "priority", "status", "team_id", "assignee_id", "customer_id", "updated_at",
            "team__name", "assignee__username", "assignee__display_name", "assignee__first_name",
            "assignee__last_name", "customer__name",
        )
    )
    if not user.is_supervising:
        qs = qs.filter(team_id=user.team_id) if user.team_id else qs.none()
    tickets = list(qs.order_by("team__name", "id")[:limit])
    attach_sla(tickets, now=now)
    groups: dict[str, RiskGroup] = {}
    for t in tickets:
        view = t.sla_badge  # type: ignore[attr-defined]
        if view is None or view.level not in ("risk", "breached"):
            # The nearest target may be a paused one below 80 %: show the worst target instead.
            worst = [v for v in t.sla_targets_view if v.open and v.level in ("risk", "breached")]  # type: ignore[attr-defined]
            if not worst:
                continue
            view = min(worst, key=lambda v: v.remaining)
        name = t.team.name if t.team_id and t.team else _("(no team)")
        group = groups.setdefault(name, RiskGroup(team=name, rows=[], breached=0))
        group.rows.append(RiskRow(ticket=t, view=view))
        if view.level == "breached":
            group.breached += 1
    for group in groups.values():
        group.rows.sort(key=lambda r: r.view.remaining)
    return sorted(groups.values(), key=lambda g: (-g.breached, -len(g.rows), g.team))


# --- timeline ------------------------------------------------------------------------------------------


def sla_events_for(*, ticket: Ticket) -> list[SlaEvent]:
    """The warnings, breaches and escalations of one (already access-checked) ticket, oldest first."""
    return list(SlaEvent.objects.filter(ticket_id=ticket.pk).order_by("fired_at", "id"))


def sla_event_text(event: SlaEvent) -> str:
    """One line for the timeline: "First response: 80% used", "Resolution breached", "…level 2"."""
    target = SlaTarget(event.target).label
    if event.kind == SlaEventKind.WARNING:
        share = event.data.get("share")
        text = _("%(target)s: %(share)s%% of the time used") % {"target": target, "share": share if share else "?"}
    elif event.kind == SlaEventKind.BREACH:
        text = _("%(target)s: time limit breached") % {"target": target}
    else:
        text = _("%(target)s: escalated to level %(level)s") % {"target": target, "level": event.level}
        actions = [a for a in event.data.get("actions", []) if isinstance(a, str)]
        if actions:
            text += " (" + ", ".join(actions) + ")"
    if event.late:
        text += " " + _("(fired late)")
    return text


# --- calendars ----------------------------------------------------------------------------------------


def calendars_for_admin() -> list[BusinessCalendar]:
    return list(BusinessCalendar.objects.order_by("-is_default", "name"))


def calendar_periods(*, calendar: BusinessCalendar) -> list[tuple[int, time, time]]:
    """The weekly working periods of a calendar: (weekday, from, until), by weekday and time."""
    return list(calendar.periods.order_by("weekday", "start").values_list("weekday", "start", "end"))


@dataclass(frozen=True)
class DayCell:
    date: date
    kind: str  # holiday / workday / normal (a manual override) / "" (the weekly schedule applies)
    working: bool  # open at all that day
    weekend: bool
    note: str
    manual: bool


def calendar_year(*, calendar: BusinessCalendar, year: int) -> list[dict[str, Any]]:
    """Twelve months of weeks (Monday first) of day cells, for the year view. Two queries."""
    rows = {d.date: d for d in CalendarDay.objects.filter(calendar=calendar, date__year=year)}
    config = get_config()
    pure = config.calendars.get(calendar.pk)
    months = []
    pycal = pycalendar.Calendar(firstweekday=0)
    for month in range(1, 13):
        weeks = []
        for week in pycal.monthdatescalendar(year, month):
            cells: list[DayCell | None] = []
            for d in week:
                if d.month != month:
                    cells.append(None)
                    continue
                row = rows.get(d)
                working = bool(pure.periods_on(d)) if pure is not None else d.weekday() < 5
                cells.append(
                    DayCell(
                        date=d,
                        kind=row.kind if row else "",
                        working=working,
                        weekend=d.weekday() >= 5,
                        note=row.note if row else "",
                        manual=bool(row and row.source == "manual"),
                    )
                )
            weeks.append(cells)
        months.append({"month": month, "weeks": weeks})
    return months


def calendar_year_counts(*, calendar: BusinessCalendar, year: int) -> dict[str, int]:
    qs = CalendarDay.objects.filter(calendar=calendar, date__year=year)
    return {
        "holidays": qs.filter(kind=DayKind.HOLIDAY).count(),
        "workdays": qs.filter(kind=DayKind.WORKDAY).count(),
    }


def policies_for_admin() -> list[SlaPolicy]:
    return list(SlaPolicy.objects.select_related("calendar").order_by("is_default", "position", "id"))


# --- for the KPIs (kefu.performance) --------------------------------------------------------------


@dataclass(frozen=True)
class TicketClock:
    """The business calendar a ticket's times are measured in and the statuses that pause it."""

    calendar: core_calendar.BusinessCalendar
    pause_statuses: frozenset[str]


def ticket_clocks(ticket_ids: Iterable[int]) -> dict[int, TicketClock]:
    """{ticket id: TicketClock}: the calendar and pause statuses of the policy on the ticket's SLA
    rows, else the default calendar (Asia/Shanghai 24×7 when there is none) and no pauses.
    Two queries per 2,000 tickets plus the cached configuration."""
    config = get_config()
    default_cal = _default_calendar(config)
    rules = {r.id: r for r in config.rules}
    out: dict[int, TicketClock] = {}
    ids = list(ticket_ids)
    for i in range(0, len(ids), 2000):
        chunk = ids[i : i + 2000]
        rows = TicketSla.objects.filter(ticket_id__in=chunk, policy__isnull=False).values_list("ticket_id", "policy_id")
        for ticket_id, policy_id in rows:
            rule = rules.get(policy_id)
            if rule is None or ticket_id in out:
                continue
            cal = config.calendars.get(rule.calendar_id, default_cal)
            out[ticket_id] = TicketClock(cal, frozenset(rule.pause_statuses))
    fallback = TicketClock(default_cal, frozenset())
    for ticket_id in ids:
        out.setdefault(ticket_id, fallback)
    return out


def _default_calendar(config: SlaConfig) -> core_calendar.BusinessCalendar:
    pk = BusinessCalendar.objects.filter(is_default=True).values_list("pk", flat=True).first()
    if pk is not None and pk in config.calendars:
        return config.calendars[pk]
    return core_calendar.BusinessCalendar.always_open("Asia/Shanghai")


def sla_settled(*, start: datetime, end: datetime, ticket_ids: Iterable[int] | None = None) -> list[tuple[int, str, bool]]:
    """(ticket id, target, met) of every target settled in [start, end): a met target in the period
    it was achieved, a breached one in the period of its due time. Running and paused targets are
    not settled and do not count."""
    qs = TicketSla.objects.filter(
        Q(state=SlaStateChoice.MET, achieved_at__gte=start, achieved_at__lt=end)
        | Q(state=SlaStateChoice.BREACHED, due_at__gte=start, due_at__lt=end)
    )
    if ticket_ids is not None:
        qs = qs.filter(ticket_id__in=list(ticket_ids))
    return [(t, target, state == SlaStateChoice.MET) for t, target, state in qs.values_list("ticket_id", "target", "state")]


def sla_live_counts(*, ticket_ids_q: Q, now: datetime | None = None) -> dict[str, int]:
    """Open tickets (matching `ticket_ids_q` on Ticket) with a breached target, and at risk (a running
    target past RISK_SHARE of its time, not yet breached), as of now."""
    now = now or timezone.now()
    open_tickets = Ticket.objects.filter(ticket_ids_q, status__in=OPEN_STATUSES)
    breached = open_tickets.filter(
        Exists(TicketSla.objects.filter(ticket=OuterRef("pk"), state=SlaStateChoice.BREACHED, achieved_at__isnull=True))
        | Exists(TicketSla.objects.filter(ticket=OuterRef("pk"), achieved_at__isnull=True, due_at__lte=now))
    ).count()
    at_risk = open_tickets.filter(
        Exists(TicketSla.objects.filter(ticket=OuterRef("pk"), achieved_at__isnull=True, risk_at__lte=now, due_at__gt=now))
    ).count()
    return {"breached": breached, "at_risk": at_risk}
