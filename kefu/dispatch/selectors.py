"""Reads of dispatch, visibility built in: explanations through access_ticket, boards through
access_board."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kefu.accounts.choices import AssignmentMode, Presence
from kefu.accounts.models import Skill, Team, User
from kefu.customers.models import Customer
from kefu.dispatch import config
from kefu.dispatch.choices import Outcome, PassReason, Severity
from kefu.dispatch.models import (
    AgentLoad,
    CategoryRule,
    DispatchDecision,
    RoutingRule,
    TicketDispatch,
    TriageRule,
)
from kefu.dispatch.routing import Candidate, Facts, choose, route, suggest_category, triage
from kefu.tickets.access import access_ticket
from kefu.tickets.choices import OPEN_STATUSES, Priority
from kefu.tickets.models import Category, Ticket, TicketTransfer


def decisions_for_ticket(*, user: User, number: str, limit: int = 20) -> tuple[Ticket, list[DispatchDecision]]:
    """The ticket (404 when invisible) and its latest dispatch decisions, newest first."""
    ticket = access_ticket(user=user, number=number)
    rows = list(
        DispatchDecision.objects.filter(ticket=ticket).select_related("team", "chosen").order_by("-created_at", "-id")[:limit]
    )
    return ticket, rows


def dispatch_state_for_ticket(*, user: User, number: str) -> tuple[Ticket, TicketDispatch | None]:
    ticket = access_ticket(user=user, number=number)
    row = TicketDispatch.objects.select_related("suggested_category", "routing_rule", "back_office_team").filter(ticket=ticket).first()
    return ticket, row


@dataclass(frozen=True)
class Workload:
    """An agent's open tickets (how many, and the sum of their priority ranks: normal = 2), skills,
    and when dispatch last gave them a ticket (None: never)."""

    load: int = 0
    weighted: int = 0
    skill_ids: frozenset[int] = frozenset()
    last_assigned_at: datetime | None = None


def agent_workloads(user_ids: Sequence[int]) -> dict[int, Workload]:
    """Open load, skills and last automatic assignment of each agent, in one statement of three
    parts (UNION ALL): the agents' AgentLoad rows (kept by triggers on tickets_ticket: one row per
    agent, not a count of their tickets), the skill rows, and per agent the newest DispatchDecision
    that assigned them a ticket (one backward step in dispatch_decision_chosen_idx). Agents without
    any get the zero Workload."""
    ids = [int(i) for i in user_ids]
    if not ids:
        return {}
    qn = connection.ops.quote_name
    loads, skills = qn(AgentLoad._meta.db_table), qn(User.skills.through._meta.db_table)
    users, decisions = qn(User._meta.db_table), qn(DispatchDecision._meta.db_table)
    id_params: list[Any]
    if connection.vendor == "postgresql":
        # One array parameter instead of a list of literals: less to send, parse and plan.
        users_in, id_params = " = ANY(%s)", [ids]
    else:
        users_in, id_params = f" IN ({', '.join(['%s'] * len(ids))})", ids
    null_ts = "CAST(NULL AS TIMESTAMP WITH TIME ZONE)"  # PostgreSQL types UNION columns by their first branch
    sql = (
        f"SELECT {qn('user_id')}, 0, {qn('open_count')}, {qn('weighted')}, {null_ts} FROM {loads}"
        f" WHERE {qn('user_id')}{users_in}"
        f" UNION ALL SELECT {qn('user_id')}, 1, {qn('skill_id')}, NULL, {null_ts} FROM {skills}"
        f" WHERE {qn('user_id')}{users_in}"
        f" UNION ALL SELECT u.{qn('id')}, 2, NULL, NULL, (SELECT d.{qn('created_at')} FROM {decisions} d"
        f" WHERE d.{qn('chosen_id')} = u.{qn('id')} AND d.{qn('outcome')} = %s"
        f" ORDER BY d.{qn('created_at')} DESC LIMIT 1) FROM {users} u WHERE u.{qn('id')}{users_in}"
    )
    counts: dict[int, tuple[int, int]] = {}
    skill_ids: dict[int, set[int]] = {}
    assigned_at: dict[int, datetime] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*id_params, *id_params, str(Outcome.ASSIGNED), *id_params])
        for uid, part, a, b, at in cursor.fetchall():
            if part == 0:
                counts[uid] = (int(a), int(b or 0))
            elif part == 1:
                skill_ids.setdefault(uid, set()).add(int(a))
            elif at is not None:
                assigned_at[uid] = _as_datetime(at)
    return {
        uid: Workload(
            *counts.get(uid, (0, 0)), skill_ids=frozenset(skill_ids.get(uid, ())), last_assigned_at=assigned_at.get(uid)
        )
        for uid in ids
    }


def agent_loads_recount() -> dict[int, tuple[int, int]]:
    """Open tickets per assignee counted from tickets_ticket: {user_id: (count, weighted)} — what
    the AgentLoad rows must say (kefu dispatch_loads, tests)."""
    return {
        r["assignee_id"]: (r["n"], r["w"] or 0)
        for r in Ticket.objects.filter(assignee__isnull=False, status__in=OPEN_STATUSES)
        .values("assignee_id").annotate(n=Count("id"), w=Sum("priority_rank")).order_by()
    }


def agent_loads_drift() -> dict[int, tuple[tuple[int, int], tuple[int, int]]]:
    """Agents whose AgentLoad row differs from a recount: {user_id: (stored, counted)}; rows of zero
    and missing rows are the same."""
    counted = agent_loads_recount()
    stored = {uid: (n, w) for uid, n, w in AgentLoad.objects.values_list("user_id", "open_count", "weighted")}
    return {
        uid: (stored.get(uid, (0, 0)), counted.get(uid, (0, 0)))
        for uid in set(counted) | set(stored)
        if stored.get(uid, (0, 0)) != counted.get(uid, (0, 0))
    }


def _as_datetime(value: datetime | str) -> datetime:
    """A timestamp from raw SQL: PostgreSQL gives an aware datetime, SQLite the stored UTC text."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    parsed = parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a timestamp: {value!r}")
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


# --- the team lead's board -------------------------------------------------------------------------


@dataclass
class AgentRow:
    user: User
    load: int
    weighted: float
    capacity: int

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.load / self.capacity)) if self.capacity else 100


@dataclass
class Board:
    team: Team
    agents: list[AgentRow]
    queue: list[Ticket]
    queue_total: int
    flagged: list[tuple[Ticket, TicketDispatch]]
    online: int = 0
    free_slots: int = 0
    skills: dict[int, str] = field(default_factory=dict)


def _bounced_q() -> Q:
    """Transferred back to a team it came from: a later transfer's target is an earlier source."""
    back = TicketTransfer.objects.filter(
        ticket_id=OuterRef("ticket_id"), from_team_id=OuterRef("to_team_id"), id__lt=OuterRef("id")
    )
    pingpong = TicketTransfer.objects.annotate(back=Exists(back)).filter(back=True, ticket_id=OuterRef("pk"))
    return Q(transfer_count__gt=config.bounce_limit()) | Q(Exists(pingpong))


def board_for(*, team: Team, queue_limit: int = 50, flagged_limit: int = 50) -> Board:
    """Queue, agents with presence and load, and flagged tickets of `team` (call access_board first).
    A fixed number of queries whatever the team size."""
    members = list(
        User.objects.filter(team=team, is_active=True).exclude(username__endswith="-bot").order_by("role", "display_name", "username")
    )
    loads = {
        uid: (n, w)
        for uid, n, w in AgentLoad.objects.filter(user_id__in=[u.pk for u in members]).values_list("user_id", "open_count", "weighted")
    }
    agents = [AgentRow(user=u, load=loads.get(u.pk, (0, 0))[0], weighted=loads.get(u.pk, (0, 0))[1] / 2, capacity=u.capacity) for u in members]
    waiting = Ticket.objects.filter(team=team, assignee__isnull=True, status__in=OPEN_STATUSES, merged_into__isnull=True)
    queue = list(
        waiting.select_related("customer", "dispatch", "category").order_by("-priority_rank", "created_at", "id")[:queue_limit]
    )
    flagged_rows = (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .filter(Q(team=team) | Q(owner__team=team))
        .filter(Q(dispatch__flagged_at__isnull=False) | Q(dispatch__severity__in=["major", "urgent"]) | _bounced_q())
        .select_related("dispatch", "team", "assignee", "owner")
        .order_by("-priority_rank", "created_at", "id")[:flagged_limit]
    )
    flagged: list[tuple[Ticket, TicketDispatch]] = []
    for t in flagged_rows:
        row = getattr(t, "dispatch", None) or TicketDispatch(ticket=t, updated_at=t.updated_at)
        if not row.bounced and t.transfer_count > config.bounce_limit():
            row.bounced = True
        flagged.append((t, row))
    online = [a for a in agents if a.user.presence == Presence.ONLINE]
    return Board(
        team=team, agents=agents, queue=queue, queue_total=waiting.count(), flagged=flagged, online=len(online),
        free_slots=sum(max(a.capacity - a.load, 0) for a in online),
        skills=dict(Skill.objects.values_list("pk", "name")),
    )


# --- "test this rule": a dry run -------------------------------------------------------------------


@dataclass
class Preview:
    priority: str
    severity: str
    fired: list[dict[str, Any]]
    category: Category | None
    category_reasons: list[str]
    rule_name: str
    rule_reasons: tuple[str, ...]
    team: Team | None
    required: list[str]
    mode: str
    chosen: User | None
    candidates: list[dict[str, Any]]

    @property
    def priority_label(self) -> str:
        return str(Priority(self.priority).label)

    @property
    def severity_label(self) -> str:
        return str(Severity(self.severity).label) if self.severity else ""

    @property
    def mode_label(self) -> str:
        return str(AssignmentMode(self.mode).label) if self.mode in AssignmentMode.values else self.mode


def dispatch_preview(
    *,
    text: str,
    kind: str,
    channel: str,
    priority: str = Priority.NORMAL,
    customer: Customer | None = None,
    category: Category | None = None,
    language: str = "zh-hans",
    vip: bool = False,
    now: datetime | None = None,
) -> Preview:
    """Where a ticket with this text would go and why, without writing anything or taking locks."""
    now = now or timezone.now()
    rules = config.get_rules()
    earlier: tuple[datetime, ...] = ()
    recent: list[int] = []
    if customer is not None:
        earlier = tuple(Ticket.objects.filter(customer=customer).order_by("-created_at").values_list("created_at", flat=True)[:50])
        recent = [c for c in Ticket.objects.filter(customer=customer, category__isnull=False).order_by("-created_at").values_list("category_id", flat=True)[:5] if c]
    facts = Facts(
        text=text, kind=kind, channel=channel, priority=priority, language=language,
        tier_id=customer.tier_id if customer else None, is_vip=vip or bool(customer and customer.is_vip),
        category_path=category.path if category else "", earlier_contacts=earlier, now=now,
    )
    result = triage(facts, rules.triage)
    suggested_id, cat_reasons = suggest_category(text, rules.categories, recent) if category is None else (None, [])
    facts2 = Facts(**{**facts.__dict__, "priority": result.priority})
    outcome = route(facts2, rules.routing, result.severity)
    team = (
        Team.objects.filter(pk=outcome.rule.team_id).first() if outcome.rule
        else Team.objects.filter(is_default=True, is_active=True).first()
    )
    required = frozenset(outcome.rule.skill_ids) if outcome.rule else frozenset()
    chosen, cands_out, mode = None, [], ""
    if team is not None:
        mode = team.assignment_mode
        members = list(User.objects.filter(team=team, is_active=True, role="agent").order_by("pk"))
        work = agent_workloads([u.pk for u in members])
        cands = [
            Candidate(user_id=u.pk, name=u.name, presence=u.presence, capacity=u.capacity,
                      load=work[u.pk].load, weighted=work[u.pk].weighted, skill_ids=work[u.pk].skill_ids,
                      idle_since=work[u.pk].last_assigned_at or u.presence_changed_at)
            for u in members
        ]
        last = getattr(getattr(team, "dispatch_state", None), "last_user_id", None)
        choice = choose(cands, mode=mode, required=required, last_user_id=last)
        chosen = next((u for u in members if u.pk == choice.chosen), None)
        cands_out = [
            {"name": c.name, "verdict": PassReason(choice.verdicts[c.user_id]).label, "load": c.load,
             "weighted": c.weighted / 2, "capacity": c.capacity, "presence": Presence(c.presence).label}
            for c in cands
        ]
    skill_names = dict(Skill.objects.filter(pk__in=required).values_list("pk", "name"))
    return Preview(
        priority=result.priority, severity=result.severity, fired=result.fired,
        category=Category.objects.filter(pk=suggested_id).first() if suggested_id else None,
        category_reasons=cat_reasons, rule_name=outcome.rule.name if outcome.rule else "",
        rule_reasons=outcome.reasons, team=team, required=sorted(skill_names.values()), mode=mode,
        chosen=chosen, candidates=cands_out,
    )


def rules_overview() -> dict[str, QuerySet[Any]]:
    return {
        "triage": TriageRule.objects.order_by("position", "id").prefetch_related("match_tiers"),
        "categories": CategoryRule.objects.select_related("category").order_by("position", "id"),
        "routing": RoutingRule.objects.select_related("team").prefetch_related("required_skills").order_by("position", "id"),
        "teams": Team.objects.filter(is_active=True).order_by("id"),
    }
