"""The KPI definitions (绩效指标): one documented function per metric over a period and a grouping.

`compute(metrics=[...], period=Period, group="agent", scope=Scope)` answers a `Table`: one row per
agent / team / queue / category (or one row for "all") and a total row, each metric's value and the
count it was computed over (its denominator). docs/metrics.md states every definition in Chinese and
English with a worked example; the tests in kefu/performance/tests/test_metrics.py pin them.

Who a ticket belongs to:
- agent: the ticket's assignee, else its first-contact owner (首问负责人);
- team: the ticket's team; queue: the workforce queues planned for that team; category: its category.
Surveys and callbacks belong to their own agent / team / category fields; QA results to the
inspected contact's agent and team; chats to the agent who accepted them.

Time: periods are local (Asia/Shanghai) [start, end). First response and resolution time are business
time in the calendar of the ticket's SLA policy (holidays and 调休 make-up days included), and do not
run while the ticket is in one of the policy's pause statuses or resolved (a reopened ticket's time
resolved never counts). Every read goes through the owning app's selector or model of a lower layer;
the viewer's `Scope` is applied here to every row, so callers cannot widen it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team, User
from kefu.channels.cti_selectors import call_handle_rows
from kefu.chat.selectors import agent_conversations
from kefu.core.calendar import business_time_between
from kefu.performance.periods import Period
from kefu.quality.results import counted_inspections
from kefu.sla.engine import DONE_STATUSES
from kefu.sla.history import history_from_events
from kefu.sla.selectors import TicketClock, sla_settled, ticket_clocks
from kefu.surveys.selectors import callback_rows, survey_rows
from kefu.tickets.choices import TicketKind, TicketStatus
from kefu.tickets.models import Category, Ticket, TicketEvent, TicketTransfer
from kefu.workforce.selectors import queue_teams

GROUPS = ("all", "agent", "team", "queue", "category")
ALL = "all"
TOTAL = "__total__"
# Days after resolution in which a new ticket of the same customer and category means the first
# contact did not resolve it (FCR). settings.KEFU_FCR_DAYS overrides it.
FCR_DAYS = 7
# Days before a complaint in which an earlier complaint of the same customer makes it a repeat.
REPEAT_COMPLAINT_DAYS = 30

Key = str
Values = dict[Key, tuple[float | None, int]]  # key -> (value, denominator)


@dataclass(frozen=True)
class Scope:
    """Whose numbers a viewer may see. None = everyone; otherwise a row counts when its agent is in
    `agent_ids` or its team in `team_ids` (a lead: the team, and their own work)."""

    agent_ids: frozenset[int] | None = None
    team_ids: frozenset[int] | None = None

    @property
    def everything(self) -> bool:
        return self.agent_ids is None and self.team_ids is None

    def admits(self, agent_id: int | None, team_id: int | None) -> bool:
        if self.everything:
            return True
        return (agent_id is not None and agent_id in (self.agent_ids or ())) or (
            team_id is not None and team_id in (self.team_ids or ())
        )


EVERYTHING = Scope()


@dataclass(frozen=True)
class MetricDef:
    key: str
    label: Any  # lazy Chinese label
    unit: str  # count | percent | minutes | per_mille | score | nps | hours
    higher_is_better: bool
    fn: Callable[[Calc], Values]
    # Which ticket population a drill-down lists (None: no drill-down).
    drill: str | None = None


@dataclass
class Row:
    key: Key
    label: str
    values: dict[str, float | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "values": self.values, "counts": self.counts}


@dataclass
class Table:
    period: Period
    group: str
    metrics: list[str]
    rows: list[Row]
    total: Row

    def row(self, key: Key) -> Row | None:
        return next((r for r in self.rows if r.key == key), None)


# --- arithmetic ---------------------------------------------------------------------------------------


def share(part: int, whole: int) -> float | None:
    """part / whole in percent, one decimal; None when whole is 0."""
    return round(part * 100 / whole, 1) if whole else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile with linear interpolation between closest ranks (Excel PERCENTILE.INC,
    numpy's default): the median of 10, 20, 30, 40 is 25; p90 of 1..10 is 9.1. None when empty."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return round(xs[lo] + (xs[hi] - xs[lo]) * (pos - lo), 1)


def business_minutes(
    clock: TicketClock, created_at: datetime, until: datetime, statuses: Sequence[tuple[datetime, str]]
) -> float:
    """Business minutes from `created_at` to `until` in the clock's calendar, not counting the
    stretches in which the ticket's status was a pause status or resolved/closed. `statuses` is the
    ticket's status timeline [(at, new status)], oldest first."""
    stop = set(clock.pause_statuses) | set(DONE_STATUSES)
    total = timedelta(0)
    status = TicketStatus.NEW.value
    at = created_at
    for when, new in statuses:
        if when >= until:
            break
        if when > at and status not in stop:
            total += business_time_between(at, when, clock.calendar)
        at = max(at, when)
        status = new
    if until > at and status not in stop:
        total += business_time_between(at, until, clock.calendar)
    return total.total_seconds() / 60


# --- the calculation ----------------------------------------------------------------------------------


_TICKET_FIELDS = (
    "id", "created_at", "first_response_at", "resolved_at", "status", "reopen_count", "transfer_count",
    "kind", "customer_id", "category_id", "team_id", "assignee_id", "owner_id",
)


class Calc:
    """One period × grouping: loads each source once, on first use, and keys every row."""

    def __init__(self, *, period: Period, group: str, scope: Scope, fcr_days: int | None = None) -> None:
        if group not in GROUPS:
            raise ValueError(group)
        self.period = period
        self.group = group
        self.scope = scope
        self.start, self.end = period.bounds()
        self.fcr_days = fcr_days if fcr_days is not None else int(getattr(settings, "KEFU_FCR_DAYS", FCR_DAYS))
        self._cache: dict[str, Any] = {}
        self._queues_of_team: dict[int, list[int]] | None = None
        self._team_of_user: dict[int, int | None] | None = None

    # keys ------------------------------------------------------------------------------------------

    def queues_of_team(self) -> dict[int, list[int]]:
        if self._queues_of_team is None:
            out: dict[int, list[int]] = defaultdict(list)
            for qid, (_name, team_id) in queue_teams().items():
                if team_id is not None:
                    out[team_id].append(qid)
            self._queues_of_team = dict(out)
        return self._queues_of_team

    def team_of_user(self, user_id: int | None) -> int | None:
        if self._team_of_user is None:
            self._team_of_user = dict(User.objects.values_list("pk", "team_id"))
        return self._team_of_user.get(user_id) if user_id is not None else None

    def keys(self, *, agent: int | None, team: int | None, category: int | None) -> list[Key]:
        """The group keys of one row (plus the total), or [] when the scope does not admit it."""
        if not self.scope.admits(agent, team):
            return []
        if self.group == ALL:
            return [ALL, TOTAL]
        if self.group == "agent":
            own = [str(agent)] if agent is not None else []
        elif self.group == "team":
            own = [str(team)] if team is not None else []
        elif self.group == "queue":
            own = [str(q) for q in self.queues_of_team().get(team, [])] if team is not None else []
        else:
            own = [str(category)] if category is not None else []
        return [*own, TOTAL]

    def ticket_keys(self, t: dict[str, Any]) -> list[Key]:
        return self.keys(agent=t["assignee_id"] or t["owner_id"], team=t["team_id"], category=t["category_id"])

    # sources ---------------------------------------------------------------------------------------

    def tickets(self) -> list[dict[str, Any]]:
        """Tickets created, first answered or resolved in the period (merged-away tickets included:
        each was a contact)."""
        if "tickets" not in self._cache:
            s, e = self.start, self.end
            self._cache["tickets"] = list(
                Ticket.objects.filter(
                    Q(created_at__gte=s, created_at__lt=e)
                    | Q(first_response_at__gte=s, first_response_at__lt=e)
                    | Q(resolved_at__gte=s, resolved_at__lt=e)
                ).values(*_TICKET_FIELDS).order_by()
            )
        rows: list[dict[str, Any]] = self._cache["tickets"]
        return rows

    def created(self) -> Iterator[dict[str, Any]]:
        return (t for t in self.tickets() if self.start <= t["created_at"] < self.end)

    def resolved(self) -> Iterator[dict[str, Any]]:
        """Tickets whose (last) resolution falls in the period and that are still resolved or closed."""
        return (
            t for t in self.tickets()
            if t["resolved_at"] is not None and self.start <= t["resolved_at"] < self.end and t["status"] in DONE_STATUSES
        )

    def first_answered(self) -> Iterator[dict[str, Any]]:
        return (
            t for t in self.tickets()
            if t["first_response_at"] is not None and self.start <= t["first_response_at"] < self.end
        )

    def clocks(self) -> dict[int, TicketClock]:
        if "clocks" not in self._cache:
            ids = {t["id"] for t in self.first_answered()} | {t["id"] for t in self.resolved()}
            self._cache["clocks"] = ticket_clocks(sorted(ids))
        clocks: dict[int, TicketClock] = self._cache["clocks"]
        return clocks

    def status_timelines(self) -> dict[int, list[tuple[datetime, str]]]:
        """{ticket id: [(at, new status)]} replayed from the timeline as the SLA engine does."""
        if "timelines" not in self._cache:
            ids = sorted({t["id"] for t in self.first_answered()} | {t["id"] for t in self.resolved()})
            final = {t["id"]: t["status"] for t in self.tickets()}
            events: dict[int, list[tuple[str, Any, datetime]]] = defaultdict(list)
            for i in range(0, len(ids), 2000):
                rows = (
                    TicketEvent.objects.filter(ticket_id__in=ids[i : i + 2000])
                    .order_by("ticket_id", "created_at", "id")
                    .values_list("ticket_id", "kind", "data", "created_at")
                )
                for tid, kind, data, at in rows:
                    events[tid].append((kind, data or {}, at))
            out: dict[int, list[tuple[datetime, str]]] = {}
            for tid in ids:
                history = history_from_events(events.get(tid, []), final_status=final.get(tid))
                out[tid] = [(ev.at, ev.status) for ev in history if ev.status is not None]
            self._cache["timelines"] = out
        timelines: dict[int, list[tuple[datetime, str]]] = self._cache["timelines"]
        return timelines

    def chats(self) -> list[tuple[int, int | None]]:
        if "chats" not in self._cache:
            self._cache["chats"] = agent_conversations(start=self.start, end=self.end)
        chats: list[tuple[int, int | None]] = self._cache["chats"]
        return chats

    def calls(self) -> list[tuple[int, int | None, int]]:
        """(agent, team, handling seconds) of answered calls that ended in the period (kefu.channels)."""
        if "calls" not in self._cache:
            self._cache["calls"] = call_handle_rows(start=self.start, end=self.end)
        calls: list[tuple[int, int | None, int]] = self._cache["calls"]
        return calls

    def surveys(self) -> list[dict[str, Any]]:
        if "surveys" not in self._cache:
            self._cache["surveys"] = survey_rows(start=self.start, end=self.end)
        rows: list[dict[str, Any]] = self._cache["surveys"]
        return rows

    def callbacks(self) -> list[dict[str, Any]]:
        if "callbacks" not in self._cache:
            self._cache["callbacks"] = callback_rows(start=self.start, end=self.end)
        rows: list[dict[str, Any]] = self._cache["callbacks"]
        return rows

    def settled(self) -> list[tuple[dict[str, Any], str, bool]]:
        """(ticket row, target, met) of SLA targets settled in the period."""
        if "settled" not in self._cache:
            rows = sla_settled(start=self.start, end=self.end)
            known = {t["id"]: t for t in self.tickets()}
            missing = sorted({tid for tid, _t, _m in rows if tid not in known})
            for i in range(0, len(missing), 2000):
                for t in Ticket.objects.filter(id__in=missing[i : i + 2000]).values(*_TICKET_FIELDS).order_by():
                    known[t["id"]] = t
            self._cache["settled"] = [(known[tid], target, met) for tid, target, met in rows if tid in known]
        settled: list[tuple[dict[str, Any], str, bool]] = self._cache["settled"]
        return settled

    def qa_rows(self) -> list[dict[str, Any]]:
        if "qa" not in self._cache:
            self._cache["qa"] = list(
                counted_inspections(start=self.start, end=self.end)
                .order_by()
                .values("item__agent_id", "item__team_id")
                .annotate(n=Count("id"), ok=Count("id", filter=Q(passed=True)), s=Sum("total"))
            )
        rows: list[dict[str, Any]] = self._cache["qa"]
        return rows


def _rate[T](calc: Calc, rows: Iterable[T], keys: Callable[[T], list[Key]], hit: Callable[[T], bool], *, per: int = 100) -> Values:
    n: dict[Key, int] = defaultdict(int)
    k: dict[Key, int] = defaultdict(int)
    for r in rows:
        ok = hit(r)
        for key in keys(r):
            n[key] += 1
            k[key] += ok
    if per == 100:
        return {key: (share(k[key], n[key]), n[key]) for key in n}
    return {key: (round(k[key] * per / n[key], 1) if n[key] else None, n[key]) for key in n}


def _count(rows: Iterable[Any], keys: Callable[[Any], list[Key]]) -> Values:
    n: dict[Key, int] = defaultdict(int)
    for r in rows:
        for key in keys(r):
            n[key] += 1
    return {key: (float(v), v) for key, v in n.items()}


def _dist(calc: Calc, rows: Iterable[dict[str, Any]], value: Callable[[dict[str, Any]], float], p: float) -> Values:
    xs: dict[Key, list[float]] = defaultdict(list)
    for r in rows:
        keys = calc.ticket_keys(r)
        if not keys:
            continue
        v = value(r)
        for key in keys:
            xs[key].append(v)
    return {key: (percentile(vals, p), len(vals)) for key, vals in xs.items()}


# --- the metrics --------------------------------------------------------------------------------------


def contacts_handled(calc: Calc) -> Values:
    """受理量 Contacts handled: tickets created in the period, plus chats an agent accepted in the
    period that did not become a ticket (a chat that became a ticket is counted once, as its ticket)."""
    out: dict[Key, int] = defaultdict(int)
    for t in calc.created():
        for key in calc.ticket_keys(t):
            out[key] += 1
    for agent, ticket in calc.chats():
        if ticket is None:
            for key in calc.keys(agent=agent, team=calc.team_of_user(agent), category=None):
                out[key] += 1
    return {k: (float(v), v) for k, v in out.items()}


def tickets_resolved(calc: Calc) -> Values:
    """解决量 Tickets resolved: tickets whose last resolution falls in the period and that are still
    resolved or closed (a ticket reopened and not resolved again is not resolved)."""
    return _count(calc.resolved(), calc.ticket_keys)


def _frt(calc: Calc, t: dict[str, Any]) -> float:
    tl = calc.status_timelines().get(t["id"], [])
    return business_minutes(calc.clocks()[t["id"]], t["created_at"], t["first_response_at"], tl)


def _ttr(calc: Calc, t: dict[str, Any]) -> float:
    tl = calc.status_timelines().get(t["id"], [])
    return business_minutes(calc.clocks()[t["id"]], t["created_at"], t["resolved_at"], tl)


def first_response_median(calc: Calc) -> Values:
    """首次响应时长（中位数）First response time, median, in business minutes of the ticket's SLA
    calendar, over tickets first answered (first staff public reply) in the period."""
    return _dist(calc, calc.first_answered(), lambda t: _frt(calc, t), 50)


def first_response_p90(calc: Calc) -> Values:
    """首次响应时长（P90）First response time, 90th percentile (as the median, p = 90)."""
    return _dist(calc, calc.first_answered(), lambda t: _frt(calc, t), 90)


def resolution_median(calc: Calc) -> Values:
    """解决时长（中位数）Resolution time, median business minutes from creation to the last resolution,
    over tickets resolved in the period; time in pause statuses or resolved before a reopen excluded."""
    return _dist(calc, calc.resolved(), lambda t: _ttr(calc, t), 50)


def resolution_p90(calc: Calc) -> Values:
    """解决时长（P90）Resolution time, 90th percentile."""
    return _dist(calc, calc.resolved(), lambda t: _ttr(calc, t), 90)


def _sla(target: str | None) -> Callable[[Calc], Values]:
    def fn(calc: Calc) -> Values:
        rows = [(t, met) for t, tg, met in calc.settled() if target is None or tg == target]
        return _rate(calc, rows, lambda r: calc.ticket_keys(r[0]), lambda r: r[1])

    fn.__doc__ = (
        "SLA 达标率 SLA attainment: targets met / targets settled in the period (a met target counts in "
        "the period it was achieved, a breached one in the period it fell due)"
        + (f"; target {target}." if target else "; all targets.")
    )
    return fn


sla_attainment = _sla(None)
sla_first_response = _sla("first_response")
sla_resolution = _sla("resolution")


def fcr_flags(calc: Calc) -> dict[int, bool]:
    """{ticket id: resolved at first contact} for the tickets resolved in the period: never reopened,
    and no other ticket of the same customer and category (both without a category count as the same)
    created after it and up to `fcr_days` days after its resolution. Tickets without a customer are
    judged by the reopen alone."""
    if "fcr" in calc._cache:
        flags: dict[int, bool] = calc._cache["fcr"]
        return flags
    resolved = list(calc.resolved())
    customers = {t["customer_id"] for t in resolved if t["customer_id"] is not None}
    later: dict[int, list[tuple[int, int | None, datetime]]] = defaultdict(list)
    if customers:
        lo = min(t["created_at"] for t in resolved)
        hi = max(t["resolved_at"] for t in resolved) + timedelta(days=calc.fcr_days)
        ids = sorted(customers)
        for i in range(0, len(ids), 2000):
            rows = Ticket.objects.filter(
                customer_id__in=ids[i : i + 2000], created_at__gt=lo, created_at__lte=hi
            ).values_list("id", "customer_id", "category_id", "created_at").order_by()
            for tid, cid, cat, at in rows:
                later[cid].append((tid, cat, at))
    flags = {}
    window = timedelta(days=calc.fcr_days)
    for t in resolved:
        ok = t["reopen_count"] == 0
        if ok and t["customer_id"] is not None:
            until = t["resolved_at"] + window
            ok = not any(
                tid != t["id"] and cat == t["category_id"] and t["created_at"] < at <= until
                for tid, cat, at in later.get(t["customer_id"], [])
            )
        flags[t["id"]] = ok
    calc._cache["fcr"] = flags
    return flags


def fcr(calc: Calc) -> Values:
    """首次解决率 FCR: share of tickets resolved in the period that were resolved at first contact
    (see `fcr_flags`; the window N = settings.KEFU_FCR_DAYS, default 7 days)."""
    flags = fcr_flags(calc)
    return _rate(calc, calc.resolved(), calc.ticket_keys, lambda t: flags[t["id"]])


def reopen_rate(calc: Calc) -> Values:
    """重开率 Reopen rate: share of tickets resolved in the period that had been reopened at least once."""
    return _rate(calc, calc.resolved(), calc.ticket_keys, lambda t: t["reopen_count"] > 0)


def transfer_rate(calc: Calc) -> Values:
    """转派率 Transfer rate: share of tickets created in the period transferred at least once."""
    return _rate(calc, calc.created(), calc.ticket_keys, lambda t: t["transfer_count"] > 0)


def bounced_ids(calc: Calc) -> set[int]:
    """Tickets created in the period that came back to a team they had been transferred away from
    (踢皮球: A → B → A), from the transfer records."""
    if "bounced" not in calc._cache:
        ids = sorted(t["id"] for t in calc.created() if t["transfer_count"] >= 2)
        seen: dict[int, set[int | None]] = {}
        bounced: set[int] = set()
        for i in range(0, len(ids), 2000):
            rows = TicketTransfer.objects.filter(ticket_id__in=ids[i : i + 2000]).order_by(
                "ticket_id", "created_at", "id"
            ).values_list("ticket_id", "from_team_id", "to_team_id")
            for tid, frm, to in rows:
                left = seen.setdefault(tid, set())
                left.add(frm)
                if to is not None and to in left:
                    bounced.add(tid)
        calc._cache["bounced"] = bounced
    out: set[int] = calc._cache["bounced"]
    return out


def bounce_rate(calc: Calc) -> Values:
    """回退率（踢皮球）Bounce rate: share of tickets created in the period that were transferred back
    to a team they had already left."""
    bounced = bounced_ids(calc)
    return _rate(calc, calc.created(), calc.ticket_keys, lambda t: t["id"] in bounced)


def _survey_keys(calc: Calc) -> Callable[[dict[str, Any]], list[Key]]:
    return lambda s: calc.keys(agent=s["agent_id"], team=s["team_id"], category=s["category_id"])


def csat(calc: Calc) -> Values:
    """客户满意度 CSAT: share of satisfaction answers (1–5) of surveys sent in the period that are 4 or 5."""
    rows = [s for s in calc.surveys() if s["csat"] is not None]
    return _rate(calc, rows, _survey_keys(calc), lambda s: s["csat"] >= 4)


def survey_response_rate(calc: Calc) -> Values:
    """调查回复率 Survey response rate: surveys sent in the period that were answered / surveys sent."""
    return _rate(calc, calc.surveys(), _survey_keys(calc), lambda s: bool(s["answered"]))


def nps(calc: Calc) -> Values:
    """净推荐值 NPS: (promoters 9–10 − detractors 0–6) per 100 recommendation answers of surveys sent
    in the period (−100 … 100); None where the surveys did not ask it."""
    n: dict[Key, int] = defaultdict(int)
    score: dict[Key, int] = defaultdict(int)
    keys = _survey_keys(calc)
    for s in calc.surveys():
        if s["nps"] is None:
            continue
        d = 1 if s["nps"] >= 9 else (-1 if s["nps"] <= 6 else 0)
        for key in keys(s):
            n[key] += 1
            score[key] += d
    return {k: (round(score[k] * 100 / n[k], 1), n[k]) for k in n}


def complaint_rate(calc: Calc) -> Values:
    """投诉率 Complaint rate: complaint tickets created in the period per 1,000 contacts handled."""
    contacts = contacts_handled(calc)
    complaints = _count((t for t in calc.created() if t["kind"] == TicketKind.COMPLAINT), calc.ticket_keys)
    return {
        k: (round(complaints.get(k, (0, 0))[1] * 1000 / n, 1) if n else None, n) for k, (_v, n) in contacts.items()
    }


def repeat_complaint_rate(calc: Calc) -> Values:
    """重复投诉率 Repeat-complaint rate: share of complaints created in the period whose customer had
    filed another complaint in the 30 days before."""
    complaints = [t for t in calc.created() if t["kind"] == TicketKind.COMPLAINT]
    customers = sorted({t["customer_id"] for t in complaints if t["customer_id"] is not None})
    earlier: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    window = timedelta(days=REPEAT_COMPLAINT_DAYS)
    for i in range(0, len(customers), 2000):
        rows = Ticket.objects.filter(
            customer_id__in=customers[i : i + 2000], kind=TicketKind.COMPLAINT,
            created_at__gte=calc.start - window, created_at__lt=calc.end,
        ).values_list("id", "customer_id", "created_at").order_by()
        for tid, cid, at in rows:
            earlier[cid].append((tid, at))

    def repeat(t: dict[str, Any]) -> bool:
        return any(
            tid != t["id"] and t["created_at"] - window <= at < t["created_at"]
            for tid, at in earlier.get(t["customer_id"], [])
        )

    return _rate(calc, complaints, calc.ticket_keys, repeat)


def _qa(calc: Calc) -> dict[Key, tuple[int, int, float]]:
    out: dict[Key, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for r in calc.qa_rows():
        for key in calc.keys(agent=r["item__agent_id"], team=r["item__team_id"], category=None):
            acc = out[key]
            acc[0] += r["n"]
            acc[1] += r["ok"]
            acc[2] += float(r["s"] or 0)
    return {k: (int(v[0]), int(v[1]), v[2]) for k, v in out.items()}


def qa_pass_rate(calc: Calc) -> Values:
    """质检合格率 QA pass rate: inspected contacts closed in the period that passed / inspected
    (the latest submitted inspection of each contact counts; kefu.quality.results)."""
    return {k: (share(ok, n), n) for k, (n, ok, _s) in _qa(calc).items()}


def qa_average(calc: Calc) -> Values:
    """质检平均分 QA average score of the inspected contacts closed in the period."""
    return {k: (round(s / n, 1) if n else None, n) for k, (n, _ok, s) in _qa(calc).items()}


def _callback_keys(calc: Calc) -> Callable[[dict[str, Any]], list[Key]]:
    return lambda c: calc.keys(agent=c["assignee_id"], team=c["team_id"], category=c["category_id"])


def callback_on_time_rate(calc: Calc) -> Values:
    """回访及时率 Callback on-time rate: callbacks closed in the period by their first due time / closed."""
    return _rate(calc, calc.callbacks(), _callback_keys(calc), lambda c: bool(c["on_time"]))


def callback_repaired_rate(calc: Calc) -> Values:
    """回访修复率 Callback repaired rate: callbacks closed in the period whose customer was won back /
    callbacks closed with a repaired answer."""
    rows = [c for c in calc.callbacks() if c["repaired"] is not None]
    return _rate(calc, rows, _callback_keys(calc), lambda c: bool(c["repaired"]))


def ticket_conversion(calc: Calc) -> Values:
    """工单转化率 Ticket conversion: share of chats accepted by an agent in the period that became a ticket."""
    return _rate(
        calc, calc.chats(), lambda c: calc.keys(agent=c[0], team=calc.team_of_user(c[0]), category=None),
        lambda c: c[1] is not None,
    )


def call_aht(calc: Calc) -> Values:
    """平均处理时长 AHT: (talk + hold + wrap-up) / answered calls that ended in the period, in
    minutes, from the CTI's real call times (kefu.channels Call), per the agent who took the call."""
    total: dict[Key, float] = defaultdict(float)
    n: dict[Key, int] = defaultdict(int)
    for agent, team, seconds in calc.calls():
        for key in calc.keys(agent=agent, team=team, category=None):
            total[key] += seconds
            n[key] += 1
    return {key: (round(total[key] / n[key] / 60, 2), n[key]) for key in n}


METRICS: dict[str, MetricDef] = {
    m.key: m
    for m in (
        MetricDef("contacts_handled", _("Contacts handled"), "count", True, contacts_handled, "created"),
        MetricDef("tickets_resolved", _("Tickets resolved"), "count", True, tickets_resolved, "resolved"),
        MetricDef("first_response_median", _("First response time (median)"), "minutes", False, first_response_median, "first_answered"),
        MetricDef("first_response_p90", _("First response time (P90)"), "minutes", False, first_response_p90, "first_answered"),
        MetricDef("resolution_median", _("Resolution time (median)"), "minutes", False, resolution_median, "resolved"),
        MetricDef("resolution_p90", _("Resolution time (P90)"), "minutes", False, resolution_p90, "resolved"),
        MetricDef("sla_attainment", _("SLA attainment"), "percent", True, sla_attainment, "sla"),
        MetricDef("sla_first_response", _("SLA attainment: first response"), "percent", True, sla_first_response, "sla"),
        MetricDef("sla_resolution", _("SLA attainment: resolution"), "percent", True, sla_resolution, "sla"),
        MetricDef("fcr", _("First contact resolution"), "percent", True, fcr, "resolved"),
        MetricDef("reopen_rate", _("Reopen rate"), "percent", False, reopen_rate, "resolved"),
        MetricDef("transfer_rate", _("Transfer rate"), "percent", False, transfer_rate, "created"),
        MetricDef("bounce_rate", _("Bounce rate"), "percent", False, bounce_rate, "created"),
        MetricDef("csat", _("Customer satisfaction"), "percent", True, csat, "surveys"),
        MetricDef("survey_response_rate", _("Survey response rate"), "percent", True, survey_response_rate, "surveys"),
        MetricDef("nps", _("Net promoter score"), "nps", True, nps, "surveys"),
        MetricDef("complaint_rate", _("Complaints per 1,000 contacts"), "per_mille", False, complaint_rate, "complaints"),
        MetricDef("repeat_complaint_rate", _("Repeat complaint rate"), "percent", False, repeat_complaint_rate, "complaints"),
        MetricDef("qa_pass_rate", _("QA pass rate"), "percent", True, qa_pass_rate),
        MetricDef("qa_average", _("QA average score"), "score", True, qa_average),
        MetricDef("callback_on_time_rate", _("Callback on-time rate"), "percent", True, callback_on_time_rate),
        MetricDef("callback_repaired_rate", _("Callback repaired rate"), "percent", True, callback_repaired_rate),
        MetricDef("ticket_conversion", _("Ticket conversion"), "percent", True, ticket_conversion),
        MetricDef("call_aht", _("Average handling time (calls)"), "minutes", False, call_aht),
    )
}


def labels(group: str, keys: Iterable[Key]) -> dict[Key, str]:
    ids = [int(k) for k in keys if k not in (ALL, TOTAL)]
    if group == "agent":
        return {str(u.pk): u.name for u in User.objects.filter(pk__in=ids)}
    if group == "team":
        return {str(pk): name for pk, name in Team.objects.filter(pk__in=ids).values_list("pk", "name")}
    if group == "queue":
        return {str(pk): name for pk, (name, _t) in queue_teams().items() if pk in ids}
    if group == "category":
        return {str(pk): name for pk, name in Category.objects.filter(pk__in=ids).values_list("pk", "name")}
    return {ALL: str(_("All"))}


def compute(
    *, metrics: Sequence[str], period: Period, group: str = ALL, scope: Scope = EVERYTHING,
    fcr_days: int | None = None, keys: Iterable[Key] | None = None,
) -> Table:
    """The metrics over the period by group, within the viewer's scope. Unknown metric or group:
    ValueError (callers check first). `keys` adds rows that have no data (e.g. every agent of a team)."""
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(unknown)
    calc = Calc(period=period, group=group, scope=scope, fcr_days=fcr_days)
    rows: dict[Key, Row] = {}
    for k in keys or ():
        rows[str(k)] = Row(key=str(k), label="")
    total = Row(key=TOTAL, label=str(_("Total")))
    for m in metrics:
        for key, (value, n) in METRICS[m].fn(calc).items():
            row = total if key == TOTAL else rows.setdefault(key, Row(key=key, label=""))
            row.values[m] = value
            row.counts[m] = n
    names = labels(group, rows)
    for key, row in rows.items():
        row.label = names.get(key, "—")
        for m in metrics:
            row.values.setdefault(m, None)
            row.counts.setdefault(m, 0)
    for m in metrics:
        total.values.setdefault(m, None)
        total.counts.setdefault(m, 0)
    return Table(period=period, group=group, metrics=list(metrics), rows=sorted(rows.values(), key=lambda r: r.label), total=total)


def drill_ticket_ids(*, metric: str, period: Period, group: str, key: Key, scope: Scope, fcr_days: int | None = None) -> list[int]:
    """The tickets behind one number (the population the metric is computed over), newest first."""
    mdef = METRICS[metric]
    calc = Calc(period=period, group=group, scope=scope, fcr_days=fcr_days)
    want = TOTAL if group == ALL or key in ("", ALL, TOTAL) else key
    ids: set[int] = set()
    pop = mdef.drill
    if pop in ("created", "resolved", "first_answered"):
        source = {"created": calc.created, "resolved": calc.resolved, "first_answered": calc.first_answered}[pop]()
        ids = {t["id"] for t in source if want in calc.ticket_keys(t)}
    elif pop == "complaints":
        ids = {t["id"] for t in calc.created() if t["kind"] == TicketKind.COMPLAINT and want in calc.ticket_keys(t)}
    elif pop == "sla":
        ids = {t["id"] for t, _tg, _m in calc.settled() if want in calc.ticket_keys(t)}
    elif pop == "surveys":
        keys = _survey_keys(calc)
        ids = {s["ticket_id"] for s in calc.surveys() if want in keys(s)}
    return sorted(ids, reverse=True)
