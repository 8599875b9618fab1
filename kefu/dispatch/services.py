"""Writes of smart dispatch: triage at intake, routing, assignment, queue draining, flags.

Lock order, the same everywhere, so concurrent dispatches cannot deadlock: the team's
TeamDispatchState row, then the candidate agents' User rows (one SELECT ... FOR NO KEY UPDATE
ordered by id), then ticket rows, then (the triggers on tickets_ticket) AgentLoad rows. Open
tickets per agent are read from AgentLoad after the agent rows are locked, so two dispatches can
never both see a free slot of the same agent. On SQLite every write transaction is IMMEDIATE, which serialises them anyway.

Assignments go through kefu.tickets.services.ticket_assign with the dispatch robot as actor, so the
timeline, ownership (首问负责制) and SLA state stay consistent with manual assignments.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.choices import AssignmentMode, Presence, Role, TeamKind
from kefu.accounts.models import Team, User
from kefu.core import tokens
from kefu.core.calendar import add_business_time
from kefu.core.errors import DomainError
from kefu.customers.models import Customer
from kefu.dispatch import config
from kefu.dispatch.access import require_configure
from kefu.dispatch.choices import (
    ALARMING_SEVERITIES,
    SEVERITY_RANK,
    Outcome,
    PassReason,
    Severity,
    SuggestionState,
    Trigger,
)
from kefu.dispatch.errors import DispatchErrorCode
from kefu.dispatch.models import (
    AgentLoad,
    CategoryRule,
    DispatchDecision,
    RoutingRule,
    TeamDispatchState,
    TicketDispatch,
    TriageRule,
)
from kefu.dispatch.routing import (
    DEFAULT_KEYWORDS,
    Candidate,
    Choice,
    Facts,
    choose,
    route,
    single,
    suggest_category,
    triage,
)
from kefu.dispatch.selectors import agent_loads_drift, agent_workloads
from kefu.dispatch.tasks import dispatch_notify_task
from kefu.sla.config import get_config
from kefu.sla.models import Notification, TicketSla
from kefu.tickets.access import access_ticket, require_write
from kefu.tickets.choices import OPEN_STATUSES, PRIORITY_RANK, Priority, TicketKind, TicketStatus
from kefu.tickets.models import Category, Ticket, TicketMessage, TicketTransfer
from kefu.tickets.services import ticket_assign, ticket_change_priority, ticket_link, ticket_update

logger = logging.getLogger("kefu.dispatch")

SYSTEM_USERNAME = "dispatch-bot"
# Presences that hand untouched tickets back to the team queue.
RETURNING_PRESENCES = frozenset({Presence.AWAY, Presence.OFFLINE})
# Roles that receive tickets automatically.
DISPATCHABLE_ROLES = (Role.AGENT,)
REPEAT_LINKS_MAX = 5
DRAIN_MAX = 200
# Load-balanced fairness: untouched tickets move when online loads differ by more than this many
# weighted tickets (a normal ticket weighs 1, urgent 2), at most REBALANCE_MAX moves per drain.
REBALANCE_GAP = 2
REBALANCE_MAX = 20


def dispatch_system_user() -> User:
    """The robot actor of automatic assignments (a manager account nobody can log in with)."""
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            user = User.objects.create(username=SYSTEM_USERNAME, display_name=_("Dispatch robot"), role=Role.MANAGER)
            user.set_unusable_password()
            user.save(update_fields=["password"])
    except IntegrityError:
        user = User.objects.get(username=SYSTEM_USERNAME)
    return user


# The robot's User row, kept per process. Reused only while the database still gives the robot this
# id (checked on every decision by _context's query), so a recreated robot is picked up at once.
_robot: User | None = None


tokens.register("dispatch.robot", f'SELECT "id" FROM "{User._meta.db_table}" WHERE "username" = %s', (SYSTEM_USERNAME,))


def _context() -> tuple[config.DispatchRules, User]:
    """The compiled rules and the robot actor for one decision: the rules' version token and the
    robot's id come with the other configuration tokens in one statement (kefu.core.tokens; both
    are cached per process, either changing reloads it)."""
    global _robot
    current = tokens.values()
    rules = config.get_rules(current["dispatch"] or "initial")
    robot_id = current["dispatch.robot"]
    robot = _robot
    if robot is None or robot_id is None or robot.pk != robot_id:
        robot = _robot = dispatch_system_user()
        tokens.forget()
    return rules, robot


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _dispatch_row(ticket: Ticket, now: datetime) -> TicketDispatch:
    row, _created = TicketDispatch.objects.get_or_create(ticket=ticket, defaults={"updated_at": now})
    return row


# --- facts -----------------------------------------------------------------------------------------


HISTORY_ROWS = 50


@dataclass(frozen=True)
class _Earlier:
    created_at: datetime
    category_id: int | None
    category_active: bool
    assignee_id: int | None
    assignee_username: str | None


def _history(ticket: Ticket, now: datetime) -> list[_Earlier]:
    """The customer's last HISTORY_ROWS other tickets, newest first, in one query: the repeat-contact
    facts, the recent categories and the sticky agent are all read from it (each falls back to its
    own query only when these rows cannot answer it). Kept on the ticket for the decision at `now`."""
    kept = getattr(ticket, "_dispatch_history", None)
    if kept is not None and kept[0] == now:
        return list(kept[1])
    rows = [
        _Earlier(*r)
        for r in Ticket.objects.filter(customer_id=ticket.customer_id or 0)
        .exclude(pk=ticket.pk)
        .order_by("-created_at", "-id")
        .values_list("created_at", "category_id", "category__is_active", "assignee_id", "assignee__username")[
            :HISTORY_ROWS
        ]
    ]
    ticket._dispatch_history = (now, rows)  # type: ignore[attr-defined]
    return rows


def _history_covers(rows: list[_Earlier], since: datetime | None) -> bool:
    """Whether `rows` hold every earlier ticket since `since` (None: every earlier ticket)."""
    return len(rows) < HISTORY_ROWS or (since is not None and rows[-1].created_at < since)


def _lookback_days(rules: config.DispatchRules) -> int:
    days = [r.repeat_within_days for r in rules.triage if r.repeat_within_days]
    return max([*days, 1])


def ticket_facts(ticket: Ticket, *, now: datetime, rules: config.DispatchRules) -> Facts:
    """What the rules see of `ticket` (one query for the customer's earlier tickets, when a rule
    looks at repeat contacts)."""
    customer: Customer | None = ticket.customer if ticket.customer_id else None
    earlier: tuple[datetime, ...] = ()
    if customer is not None and any(r.repeat_within_days for r in rules.triage):
        since = now - timedelta(days=_lookback_days(rules))
        rows = _history(ticket, now)
        if _history_covers(rows, since):
            earlier = tuple(r.created_at for r in rows if r.created_at >= since)
        else:
            earlier = tuple(
                Ticket.objects.filter(customer_id=customer.pk, created_at__gte=since)
                .exclude(pk=ticket.pk)
                .values_list("created_at", flat=True)
            )
    return Facts(
        text=f"{ticket.title}\n{ticket.description}",
        kind=ticket.kind,
        channel=ticket.channel,
        priority=ticket.priority,
        language=ticket.language,
        tier_id=customer.tier_id if customer else None,
        is_vip=bool(customer and customer.is_vip),
        category_path=ticket.category.path if ticket.category_id and ticket.category else "",
        earlier_contacts=earlier,
        now=now,
    )


# --- triage ----------------------------------------------------------------------------------------


def dispatch_triage(*, ticket_id: int, now: datetime | None = None) -> TicketDispatch:
    """Judge priority and complaint grade by the triage rules, suggest a category, flag and link
    repeat complaints. Every fired rule is stored on the ticket's TicketDispatch. Priority only rises
    (through ticket_change_priority, so the timeline says why). A complaint newly graded 重大 or 紧急
    notifies the supervisors and the rule's experts, after commit. Locks the ticket row."""
    now = _now(now)
    bot = dispatch_system_user()
    with transaction.atomic():
        ticket = Ticket.objects.select_related("customer", "category").select_for_update(of=("self",)).get(pk=ticket_id)
        row = TicketDispatch.objects.filter(ticket=ticket).first() or TicketDispatch(ticket=ticket, updated_at=now)
        rules = config.get_rules()
        _triage_apply(ticket, row, ticket_facts(ticket, now=now, rules=rules), rules, bot, now)
        row.save()
    return row


def _triage_apply(
    ticket: Ticket, row: TicketDispatch, facts: Facts, rules: config.DispatchRules, bot: User, now: datetime
) -> None:
    """The triage itself, on rows the caller fetched and saves. Leaves `ticket.priority` as raised."""
    result = triage(facts, rules.triage)
    severity_before = row.severity
    row.fired = result.fired
    row.severity = result.severity
    if result.priority != ticket.priority:
        row.priority_before = ticket.priority
        names = "、".join(str(f["rule"]) for f in result.fired if f.get("priority"))
        ticket_change_priority(
            actor=bot, number=ticket.number, priority=result.priority,
            reason=_("Triage rules: %(rules)s") % {"rules": names},
        )
        ticket.priority = result.priority
        ticket.priority_rank = PRIORITY_RANK[Priority(result.priority)]
    if ticket.category_id is None and row.suggestion_state in ("", SuggestionState.PENDING):
        recent = _recent_categories(ticket, now)
        suggested, reasons = suggest_category(facts.text, rules.categories, recent)
        row.suggested_category_id = suggested
        row.suggestion_reasons = reasons
        row.suggestion_state = SuggestionState.PENDING if suggested else ""
    if ticket.kind == TicketKind.COMPLAINT and ticket.customer_id:
        _link_repeat_complaints(ticket, row, bot, now)
    row.updated_at = now
    if row.severity in ALARMING_SEVERITIES and _severity_rank(row.severity) > _severity_rank(severity_before):
        _notify_major_complaint(ticket, row, result.notify_user_ids, now)


def _severity_rank(severity: str) -> int:
    return SEVERITY_RANK.get(severity, 0)


def _recent_categories(ticket: Ticket, now: datetime) -> list[int]:
    if not ticket.customer_id:
        return []
    rows = _history(ticket, now)
    found = [r.category_id for r in rows if r.category_id is not None and r.category_active][:5]
    if len(found) == 5 or _history_covers(rows, None):
        return found
    ids = (
        Ticket.objects.filter(customer_id=ticket.customer_id, category__isnull=False, category__is_active=True)
        .exclude(pk=ticket.pk)
        .order_by("-created_at", "-id")
        .values_list("category_id", flat=True)[:5]
    )
    return [i for i in ids if i is not None]


def _link_repeat_complaints(ticket: Ticket, row: TicketDispatch, bot: User, now: datetime) -> None:
    """Same customer, same category (or the suggested one), within the repeat window: flag and link."""
    category_id = ticket.category_id or row.suggested_category_id
    if category_id is None or ticket.customer_id is None:
        return
    since = now - timedelta(days=config.repeat_complaint_days())
    earlier = list(
        Ticket.objects.filter(
            customer_id=ticket.customer_id, kind=TicketKind.COMPLAINT, category_id=category_id, created_at__gte=since,
            merged_into__isnull=True,
        )
        .exclude(pk=ticket.pk)
        .order_by("-created_at", "-id")
        .values_list("number", flat=True)[:REPEAT_LINKS_MAX]
    )
    if not earlier:
        return
    row.is_repeat_complaint = True
    row.repeat_of = earlier
    row.flagged_at = row.flagged_at or now
    for number in earlier:
        ticket_link(actor=bot, number=ticket.number, other_number=number)


# --- notifications ---------------------------------------------------------------------------------


def _supervisors(team_id: int | None) -> list[int]:
    q = Q(role=Role.MANAGER)
    if team_id:
        q |= Q(role=Role.TEAM_LEAD, team_id=team_id)
    return list(User.objects.filter(q, is_active=True).exclude(username=SYSTEM_USERNAME).values_list("pk", flat=True))


def _notify(ticket: Ticket, user_ids: Iterable[int], title: str, body: str, now: datetime) -> None:
    """In-app notifications (kefu.sla's Notification) now; email and group robots after commit."""
    ids = sorted(set(user_ids))
    Notification.objects.bulk_create(
        [Notification(user_id=u, ticket_id=ticket.pk, title=title[:200], body=body, created_at=now) for u in ids]
    )
    ticket_id = ticket.pk

    def _send() -> None:
        dispatch_notify_task.enqueue(ticket_id=ticket_id, user_ids=ids, title=title[:200], body=body)

    transaction.on_commit(_send)


def _notify_major_complaint(ticket: Ticket, row: TicketDispatch, experts: list[int], now: datetime) -> None:
    title = _("%(number)s: %(grade)s complaint") % {"number": ticket.number, "grade": Severity(row.severity).label}
    why = "; ".join(str(f["rule"]) for f in row.fired if f.get("severity"))
    _notify(ticket, [*_supervisors(ticket.team_id), *experts], title, f"{ticket.title}\n{why}", now)


# --- candidates and assignment ---------------------------------------------------------------------


def _lock_team(team: Team) -> TeamDispatchState:
    state = TeamDispatchState.objects.select_for_update().filter(team=team).first()
    if state is None:
        TeamDispatchState.objects.get_or_create(team=team)
        state = TeamDispatchState.objects.select_for_update().get(team=team)
    return state


def _is_member(user: User, team: Team) -> bool:
    return user.team_id == team.pk and user.is_active and user.role in DISPATCHABLE_ROLES


def _lock_team_and_members(team: Team) -> tuple[TeamDispatchState, list[User]] | None:
    """The common case in one statement: the team's lock row joined to its dispatchable agents,
    ordered by agent id, locked. PostgreSQL locks the rows as they come out of the sort, so the
    order is the same as in two statements: the team row (with the first agent), then the agents by
    id. None when the team has no lock row yet or no agent (the caller takes the two-step path).

    FOR NO KEY UPDATE on PostgreSQL: it excludes other dispatches and presence changes, but not the
    key-share lock taken by writing a row that refers to the agent. An agent resolving a ticket
    holds their AgentLoad row (the trigger) and then writes the ticket event naming them; with FOR
    UPDATE here, a drain holding the agent row and waiting for that AgentLoad row would deadlock."""
    qn = connection.ops.quote_name
    user_table, state_table = qn(User._meta.db_table), qn(TeamDispatchState._meta.db_table)
    roles = ", ".join(["%s"] * len(DISPATCHABLE_ROLES))
    sql = (
        f"SELECT u.*, s.{qn('id')} AS lock_id, s.{qn('last_user_id')} AS lock_last_user_id"
        f" FROM {user_table} u INNER JOIN {state_table} s ON s.{qn('team_id')} = u.{qn('team_id')}"
        f" WHERE u.{qn('team_id')} = %s AND u.{qn('is_active')} = %s AND u.{qn('role')} IN ({roles})"
        f" AND u.{qn('username')} <> %s ORDER BY u.{qn('id')}"
    )
    if connection.features.has_select_for_no_key_update:
        sql += " FOR NO KEY UPDATE"
    elif connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    users = list(User.objects.raw(sql, [team.pk, True, *[str(r) for r in DISPATCHABLE_ROLES], SYSTEM_USERNAME]))
    if not users:
        return None
    first: Any = users[0]
    state = TeamDispatchState(id=first.lock_id, team=team, last_user_id=first.lock_last_user_id)
    state._state.adding = False
    return state, users


def _candidates(
    team: Team, extra_ids: Iterable[int] = ()
) -> tuple[TeamDispatchState, dict[int, tuple[User, Candidate]], list[int]]:
    """Lock the team's TeamDispatchState row, then its agents (and `extra_ids`, the VIP's account
    manager) ordered by id, so concurrent dispatches cannot deadlock; then read their open load,
    skills and last automatic assignment inside the lock (selectors.agent_workloads, a statement of
    its own: the locking statement's snapshot may predate an assignment committed while it waited).
    Returns the team's lock row, the pool by id and the ids of the team's dispatchable members."""
    extra = [i for i in extra_ids if i]
    locked = None if extra else _lock_team_and_members(team)
    if locked is not None:
        state, users = locked
    else:
        state = _lock_team(team)
        users = list(
            User.objects.select_for_update(of=("self",), no_key=True)
            .filter(Q(team=team, is_active=True, role__in=DISPATCHABLE_ROLES) | Q(pk__in=extra))
            .exclude(username=SYSTEM_USERNAME)
            .order_by("pk")
        )
    if not users:
        return state, {}, []
    work = agent_workloads([u.pk for u in users])
    out = {}
    for u in users:
        w = work[u.pk]
        out[u.pk] = (
            u,
            Candidate(
                user_id=u.pk, name=u.name, presence=u.presence, capacity=u.capacity, load=w.load, weighted=w.weighted,
                skill_ids=w.skill_ids, idle_since=w.last_assigned_at or u.presence_changed_at,
            ),
        )
    return state, out, [u.pk for u in users if _is_member(u, team)]


def _explain(cands: Iterable[Candidate], verdicts: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {
            "user_id": c.user_id, "name": c.name, "verdict": verdicts.get(c.user_id, ""), "presence": c.presence,
            "load": c.load, "weighted": c.weighted / 2, "capacity": c.capacity,
        }
        for c in cands
    ]


@dataclass
class _Plan:
    """What one routing step decided, before it is written."""

    team: Team
    rule_name: str = ""
    mode: str = ""
    chosen: User | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _record(
    ticket: Ticket, plan: _Plan, trigger: str, now: datetime, *, outcome: str | None = None
) -> DispatchDecision:
    return DispatchDecision.objects.create(
        ticket=ticket, trigger=trigger, outcome=outcome or (Outcome.ASSIGNED if plan.chosen else Outcome.QUEUED),
        team=plan.team, rule_name=plan.rule_name[:64], mode=plan.mode, chosen=plan.chosen,
        candidates=plan.candidates, notes=plan.notes, created_at=now,
    )


def _apply(ticket: Ticket, plan: _Plan, state: TeamDispatchState, bot: User) -> None:
    if plan.chosen is not None:
        team = plan.team if plan.chosen.team_id in (None, plan.team.pk) else None
        # No separate "last assigned" write: the DispatchDecision recorded next is that fact.
        ticket_assign(actor=bot, number=ticket.number, assignee=plan.chosen, team=team)
        if plan.mode == AssignmentMode.ROUND_ROBIN and plan.chosen.team_id == plan.team.pk:
            state.last_user_id = plan.chosen.pk
            state.save(update_fields=["last_user_id"])
    elif ticket.team_id != plan.team.pk and ticket.assignee_id is None:
        ticket_assign(actor=bot, number=ticket.number, assignee=None, team=plan.team)


def _sticky_agent_id(ticket: Ticket, now: datetime) -> int | None:
    if not ticket.customer_id:
        return None
    since = now - timedelta(days=config.sticky_days())
    rows = _history(ticket, now)
    for r in rows:
        if r.created_at < since:
            return None
        if r.assignee_id is not None and r.assignee_username != SYSTEM_USERNAME:
            return r.assignee_id
    if _history_covers(rows, since):
        return None
    value: int | None = (
        Ticket.objects.filter(customer_id=ticket.customer_id, created_at__gte=since, assignee__isnull=False)
        .exclude(pk=ticket.pk)
        .exclude(assignee__username=SYSTEM_USERNAME)
        .order_by("-created_at", "-id")
        .values_list("assignee_id", flat=True)
        .first()
    )
    return value


def _plan_for(
    ticket: Ticket,
    team: Team,
    *,
    rule_name: str,
    required: frozenset[int],
    skip_sticky: bool,
    now: datetime,
    notes: list[str],
) -> tuple[_Plan, TeamDispatchState]:
    """Account manager, then the sticky agent, then the team's assignment mode. Takes the team's
    locks (_candidates) and returns the plan with the team's locked TeamDispatchState."""
    customer = ticket.customer if ticket.customer_id else None
    manager_id = customer.account_manager_id if customer and customer.is_vip else None
    sticky_id = None if skip_sticky else _sticky_agent_id(ticket, now)
    state, pool, members = _candidates(team, [i for i in (manager_id,) if i])
    if sticky_id not in members:
        sticky_id = None
    plan = _Plan(team=team, rule_name=rule_name, notes=notes)
    if manager_id and manager_id in pool:
        user, cand = pool[manager_id]
        choice = single(cand)
        plan.candidates += _explain([cand], {manager_id: choice.verdicts[manager_id]})
        if choice.chosen and user.is_active:
            plan.mode, plan.chosen = "account_manager", user
            plan.notes.append(_("VIP customer: their dedicated account manager %(name)s is online.") % {"name": user.name})
            return plan, state
        plan.notes.append(
            _("VIP customer: account manager %(name)s is not available (%(why)s); the team takes it.")
            % {"name": user.name, "why": PassReason(choice.verdicts[manager_id]).label}
        )
    if sticky_id:
        user, cand = pool[sticky_id]
        choice = single(cand, required)
        if choice.chosen:
            plan.candidates += _explain([cand], choice.verdicts)
            plan.mode, plan.chosen = "sticky", user
            plan.notes.append(_("The customer contacted recently; %(name)s handled them last.") % {"name": user.name})
            return plan, state
        plan.notes.append(
            _("%(name)s handled this customer last but is not available (%(why)s).")
            % {"name": user.name, "why": PassReason(choice.verdicts[sticky_id]).label}
        )
    cands = [pool[i][1] for i in sorted(members) if i in pool]
    choice = choose(cands, mode=team.assignment_mode, required=required, last_user_id=state.last_user_id)
    plan.mode = team.assignment_mode
    plan.candidates += _explain(cands, choice.verdicts)
    if choice.chosen is not None:
        plan.chosen = pool[choice.chosen][0]
    elif team.assignment_mode == AssignmentMode.MANUAL:
        plan.notes.append(_("The team assigns by hand; the ticket waits in its queue."))
    else:
        plan.notes.append(_("Nobody is online with the skills and free capacity; the ticket waits in the team queue."))
    return plan, state


def _route(
    ticket: Ticket, row: TicketDispatch, facts: Facts, rules: config.DispatchRules
) -> tuple[Team | None, str, list[str]]:
    """Choose the team (and store the requirements on the row). Returns (team, rule name, notes)."""
    outcome = route(replace(facts, priority=ticket.priority), rules.routing, row.severity)
    current = ticket.team if ticket.team_id else None
    if current is not None and current.is_default and current.is_active:
        default: Team | None = current  # ticket_create put it in the default team
    else:
        default = Team.objects.filter(is_default=True, is_active=True).first()
    notes: list[str] = []
    explicit = ticket.team_id is not None and (default is None or ticket.team_id != default.pk)
    if outcome.rule is not None and not (explicit and outcome.rule.team_id != ticket.team_id):
        row.routing_rule_id = outcome.rule.id
        row.required_skill_ids = sorted(outcome.rule.skill_ids)
        row.skip_sticky = outcome.rule.skip_sticky
        notes.append(_("Rule “%(rule)s” matched (%(why)s).") % {"rule": outcome.rule.name, "why": ", ".join(outcome.reasons)})
        return Team.objects.filter(pk=outcome.rule.team_id).first(), outcome.rule.name, notes
    row.routing_rule_id = None
    row.required_skill_ids = []
    row.skip_sticky = False
    if explicit:
        notes.append(_("The team was chosen at intake."))
        return ticket.team, "", notes
    notes.append(_("No routing rule matched; the default team takes it."))
    return default, "", notes


def dispatch_on_create(
    *, ticket_id: int, ticket: Ticket | None = None, now: datetime | None = None
) -> DispatchDecision | None:
    """Triage, route and assign a new ticket. Call at the end of ticket_create, inside its
    transaction, so a committed ticket is always dispatched (or queued) with it; pass the fresh
    `ticket` to save a query. Never raises: a failure is logged, rolled back to a savepoint, and the
    ticket waits in its team queue (a second call for the same ticket is such a failure)."""
    try:
        with tokens.kept(), transaction.atomic():
            return _dispatch_new(ticket_id, ticket, _now(now))
    except Exception:
        logger.exception("dispatch: ticket %s could not be dispatched", ticket_id)
        return None


def dispatch_new_ticket(*, ticket: Ticket, now: datetime) -> DispatchDecision | None:
    """dispatch_on_create for a ticket created in the running transaction (the reaction to
    TicketCreated), without a savepoint of its own: it has no dispatch row yet and nobody else can
    see it, so a rule or a routing step that fails in Python is logged and the ticket waits in its
    team queue, while a database error (which aborts the transaction anyway) fails the create."""
    try:
        return _dispatch_new(ticket.pk, ticket, now)
    except DatabaseError:
        raise
    except Exception:
        logger.exception("dispatch: ticket %s could not be dispatched", ticket.number)
        return None


def _dispatch_new(ticket_id: int, given: Ticket | None, now: datetime) -> DispatchDecision | None:
    rules, bot = _context()
    if given is not None and given.pk == ticket_id:
        ticket = given
    else:
        ticket = Ticket.objects.select_related("customer", "category", "team", "assignee").get(pk=ticket_id)
    # A new ticket has no dispatch row yet; the unique ticket_id refuses a second dispatch.
    row = TicketDispatch(ticket=ticket, updated_at=now)
    facts = ticket_facts(ticket, now=now, rules=rules)
    _triage_apply(ticket, row, facts, rules, bot, now)
    if not ticket.is_open:
        row.save()
        return None
    if ticket.assignee_id is not None:
        row.save()
        if ticket.team is None:
            return None
        plan = _Plan(team=ticket.team, mode="intake", chosen=ticket.assignee)
        plan.notes.append(_("Assigned at intake by the person who took the contact."))
        return _record(ticket, plan, Trigger.CREATE, now, outcome=Outcome.KEPT)
    team, rule_name, notes = _route(ticket, row, facts, rules)
    row.save()
    if team is None:
        return None
    return _dispatch_one(ticket, row, team, rule_name, notes, Trigger.CREATE, now, bot=bot)


def _dispatch_one(
    ticket: Ticket,
    row: TicketDispatch,
    team: Team,
    rule_name: str,
    notes: list[str],
    trigger: str,
    now: datetime,
    *,
    bot: User | None = None,
) -> DispatchDecision:
    bot = bot or dispatch_system_user()
    plan, state = _plan_for(
        ticket, team, rule_name=rule_name, required=frozenset(row.required_skill_ids),
        skip_sticky=row.skip_sticky, now=now, notes=notes,
    )
    _apply(ticket, plan, state, bot)
    return _record(ticket, plan, trigger, now)


def dispatch_retriage(*, ticket_id: int, now: datetime | None = None) -> TicketDispatch:
    """Triage again after the ticket changed (title, description, kind, category)."""
    return dispatch_triage(ticket_id=ticket_id, now=now)


def dispatch_team_queue(team: Team, *, trigger: str = Trigger.QUEUE, now: datetime | None = None) -> list[DispatchDecision]:
    """Hand the team's waiting tickets (unassigned, open, highest priority then oldest first) to its
    online agents with the skills and free capacity. Call whenever capacity may have appeared: an
    agent comes online, a ticket is resolved or closed, a capacity is raised. Manual teams are left
    alone. Returns the decisions written (one per ticket assigned)."""
    now = _now(now)
    if team.assignment_mode == AssignmentMode.MANUAL or not team.is_active:
        return []
    bot = dispatch_system_user()
    decisions: list[DispatchDecision] = []
    with transaction.atomic():
        state, pool, members = _candidates(team)
        cands = {uid: pool[uid][1] for uid in members}
        free = sum(max(c.capacity - c.load, 0) for c in cands.values() if c.presence == Presence.ONLINE)
        if free == 0:
            return []
        waiting = list(
            Ticket.objects.filter(team=team, assignee__isnull=True, status__in=OPEN_STATUSES, merged_into__isnull=True)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("-priority_rank", "created_at", "id")[: min(free, DRAIN_MAX)]
        )
        rows = {
            r.ticket_id: r
            for r in TicketDispatch.objects.filter(ticket_id__in=[t.pk for t in waiting]).select_related("routing_rule")
        }
        for ticket in waiting:
            row = rows.get(ticket.pk)
            required = frozenset(row.required_skill_ids) if row else frozenset()
            ordered = [cands[i] for i in sorted(cands)]
            choice: Choice = choose(ordered, mode=team.assignment_mode, required=required, last_user_id=state.last_user_id)
            if choice.chosen is None:
                continue
            user = pool[choice.chosen][0]
            plan = _Plan(
                team=team, rule_name=row.routing_rule.name if row and row.routing_rule_id and row.routing_rule else "",
                mode=team.assignment_mode, chosen=user, candidates=_explain(ordered, choice.verdicts),
                notes=[_("Waiting ticket handed out as capacity became free.")],
            )
            _apply(ticket, plan, state, bot)
            decisions.append(_record(ticket, plan, trigger, now))
            c = cands[user.pk]
            cands[user.pk] = replace(c, load=c.load + 1, weighted=c.weighted + ticket.priority_rank, idle_since=now)
        if team.assignment_mode == AssignmentMode.LOAD_BALANCED:
            decisions += _rebalance(team, pool, cands, state, bot, trigger, now)
    return decisions


def _rebalance(
    team: Team,
    pool: dict[int, tuple[User, Candidate]],
    cands: dict[int, Candidate],
    state: TeamDispatchState,
    bot: User,
    trigger: str,
    now: datetime,
) -> list[DispatchDecision]:
    """Load-balanced fairness after capacity appeared: while the most loaded online agent carries more
    than REBALANCE_GAP weighted tickets above the least loaded one who can take work, move one of the
    former's untouched tickets (assigned, nothing written yet) to the latter. Started work never
    moves. Runs inside dispatch_team_queue's locks (agents locked; tickets SKIP LOCKED)."""
    decisions: list[DispatchDecision] = []
    online = [uid for uid, c in cands.items() if c.presence == Presence.ONLINE]
    if len(online) < 2:
        return decisions
    skipped: set[int] = set()
    for _round in range(REBALANCE_MAX):
        receivers = [cands[u] for u in online if cands[u].load < cands[u].capacity]
        if not receivers:
            break
        low = min(receivers, key=lambda c: (c.weighted, c.idle_since or datetime.min.replace(tzinfo=UTC), c.user_id))
        high = max((cands[u] for u in online), key=lambda c: (c.weighted, -c.user_id))
        gap = high.weighted - low.weighted  # in priority ranks: a normal ticket is 2
        if gap <= REBALANCE_GAP * 2:
            break
        wrote = TicketMessage.objects.filter(ticket_id=OuterRef("pk"), author_id=high.user_id)
        options = list(
            Ticket.objects.filter(assignee_id=high.user_id, team=team, status=TicketStatus.ASSIGNED, priority_rank__lt=gap)
            .exclude(pk__in=skipped)
            .exclude(Exists(wrote))
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("-updated_at", "-id")[:5]
        )
        rows = {r.ticket_id: r for r in TicketDispatch.objects.filter(ticket_id__in=[t.pk for t in options])}
        ticket = next(
            (t for t in options if frozenset(rows[t.pk].required_skill_ids if t.pk in rows else ()) <= low.skill_ids), None
        )
        if ticket is None:
            break
        skipped.add(ticket.pk)
        user = pool[low.user_id][0]
        plan = _Plan(
            team=team, mode=AssignmentMode.LOAD_BALANCED, chosen=user,
            candidates=_explain([low, high], {low.user_id: PassReason.CHOSEN, high.user_id: PassReason.HIGHER_LOAD}),
            notes=[
                _("Rebalanced: %(from)s carried %(a)s weighted tickets, %(to)s %(b)s; this untouched ticket moves.")
                % {"from": high.name, "a": high.weighted / 2, "to": low.name, "b": low.weighted / 2}
            ],
        )
        _apply(ticket, plan, state, bot)
        decisions.append(_record(ticket, plan, trigger, now))
        rank = ticket.priority_rank
        cands[low.user_id] = replace(low, load=low.load + 1, weighted=low.weighted + rank, idle_since=now)
        cands[high.user_id] = replace(high, load=high.load - 1, weighted=high.weighted - rank)
    return decisions


def dispatch_team_queue_on_commit(team_id: int | None) -> None:
    """For hooks inside another service's transaction: drain the team once that commits. Errors are
    logged, never raised into the caller (its work is already committed)."""
    if team_id is None:
        return

    def _run() -> None:
        try:
            team = Team.objects.filter(pk=team_id).first()
            if team is not None:
                dispatch_team_queue(team)
        except Exception:
            logger.exception("dispatch: draining team %s failed", team_id)

    transaction.on_commit(_run)


def _untouched(user: User) -> list[Ticket]:
    """Assigned to `user`, not started, and nothing written by them yet."""
    wrote = TicketMessage.objects.filter(ticket_id=OuterRef("pk"), author_id=user.pk)
    return list(
        Ticket.objects.filter(assignee=user, status=TicketStatus.ASSIGNED)
        .exclude(Exists(wrote))
        .select_related("team")
        .order_by("id")
    )


def dispatch_on_presence_change(*, user: User, now: datetime | None = None) -> list[DispatchDecision]:
    """After a presence change. Away or offline: untouched tickets go back to their team queues and
    are re-dispatched; started work stays. Online: the agent's team queue is drained.

    Call it once the presence is committed (user_set_presence: `transaction.on_commit(...)`), never
    while holding the user's row lock: dispatch locks the team row before agent rows. Never raises
    (the presence change stands); failures are logged."""
    try:
        return _presence_changed(user, _now(now))
    except Exception:
        logger.exception("dispatch: presence change of user %s not handled", user.pk)
        return []


def _presence_changed(user: User, now: datetime) -> list[DispatchDecision]:
    decisions: list[DispatchDecision] = []
    teams: dict[int, Team] = {}
    if user.presence in RETURNING_PRESENCES:
        bot = dispatch_system_user()
        with transaction.atomic():
            for ticket in _untouched(user):
                ticket_assign(actor=bot, number=ticket.number, assignee=None)
                if ticket.team is not None:
                    teams[ticket.team.pk] = ticket.team
                plan = _Plan(
                    team=ticket.team, mode="return", candidates=[],  # type: ignore[arg-type]
                    notes=[_("%(name)s went %(presence)s; the untouched ticket returns to the team queue.")
                           % {"name": user.name, "presence": Presence(user.presence).label}],
                )
                decisions.append(_record(ticket, plan, Trigger.PRESENCE, now, outcome=Outcome.RETURNED))
    elif user.presence == Presence.ONLINE and user.team_id and user.team is not None:
        teams[user.team.pk] = user.team
    for team in teams.values():
        decisions += dispatch_team_queue(team, trigger=Trigger.PRESENCE, now=now)
    return decisions


# --- transfers: bounces and back-office limits -----------------------------------------------------


def _bounce_reason(ticket: Ticket) -> str:
    transfers = list(TicketTransfer.objects.filter(ticket=ticket).order_by("created_at", "id").values_list("from_team_id", "to_team_id"))
    if not transfers:
        return ""
    last_to = transfers[-1][1]
    if last_to is not None and any(src == last_to for src, _dst in transfers):
        return "back"
    if ticket.transfer_count > config.bounce_limit():
        return "count"
    return ""


def _back_office_due(ticket: Ticket, now: datetime) -> datetime:
    """The SLA dispatch target's length (in the policy's business time) when its policy has one,
    else KEFU_DISPATCH_BACK_OFFICE_REPLY_MINUTES of wall-clock time."""
    sla = TicketSla.objects.filter(ticket=ticket, policy__dispatch_minutes__isnull=False).select_related("policy").first()
    if sla is not None and sla.policy is not None and sla.policy.dispatch_minutes:
        calendar = get_config().calendars.get(sla.policy.calendar_id)
        if calendar is not None:
            return add_business_time(now, timedelta(minutes=sla.policy.dispatch_minutes), calendar)
    return now + timedelta(minutes=config.back_office_reply_minutes())


def dispatch_on_transfer(*, ticket_id: int, now: datetime | None = None) -> DispatchDecision | None:
    """After a transfer: call at the end of ticket_transfer, inside its transaction. Never raises: a
    failure rolls back to a savepoint and is logged, the transfer stands."""
    try:
        with transaction.atomic():
            return _transferred(ticket_id, _now(now))
    except Exception:
        logger.exception("dispatch: transfer of ticket %s not handled", ticket_id)
        return None


def _transferred(ticket_id: int, now: datetime) -> DispatchDecision | None:
    """Flags a ticket bounced more than
    KEFU_DISPATCH_BOUNCE_LIMIT times or sent back where it came from, and tells the team leads; starts
    the back-office reply limit when the new team is a back office; an unassigned ticket is then
    dispatched inside its new team."""
    decision = None
    with transaction.atomic():
        ticket = Ticket.objects.select_related("team", "customer").select_for_update(of=("self",)).get(pk=ticket_id)
        row = _dispatch_row(ticket, now)
        reason = _bounce_reason(ticket)
        if reason and not row.bounced:
            row.bounced = True
            row.bounce_reason = (
                _("Transferred back to a team it came from.") if reason == "back"
                else _("Transferred %(n)s times.") % {"n": ticket.transfer_count}
            )
            row.flagged_at = row.flagged_at or now
            leads = _supervisors(ticket.team_id)
            if ticket.owner_id:
                owner_team = User.objects.filter(pk=ticket.owner_id).values_list("team_id", flat=True).first()
                leads += [u for u in _supervisors(owner_team) if u not in leads]
            _notify(ticket, leads, _("%(number)s is being bounced between teams") % {"number": ticket.number}, row.bounce_reason, now)
        if ticket.team is not None and ticket.team.kind == TeamKind.BACK_OFFICE:
            row.back_office_team = ticket.team
            row.back_office_since = now
            row.back_office_due_at = _back_office_due(ticket, now)
            row.back_office_overdue = False
        else:
            row.back_office_team = None
            row.back_office_due_at = None
        # The person transferring chose the team: the routing rule's skill requirements no longer apply.
        row.routing_rule = None
        row.required_skill_ids, row.skip_sticky = [], True
        row.updated_at = now
        row.save()
        if ticket.team is not None and ticket.assignee_id is None and ticket.is_open:
            decision = _dispatch_one(
                ticket, row, ticket.team, "", [_("Transferred to %(team)s.") % {"team": ticket.team.name}],
                Trigger.TRANSFER, now,
            )
    return decision


def dispatch_back_office_check(*, dispatch_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """Clock job: the back-office reply limit of a transferred ticket has come. Claimed with a
    conditional UPDATE; flags and notifies when the back office has written nothing since the
    transfer. Returns whether this call claimed the row."""
    now = _now(now)
    with transaction.atomic():
        claimed = TicketDispatch.objects.filter(pk=dispatch_id, back_office_due_at=due_at).update(back_office_due_at=None)
        if claimed != 1:
            return False
        row = TicketDispatch.objects.select_related("ticket", "back_office_team").get(pk=dispatch_id)
        ticket = row.ticket
        if not ticket.is_open or ticket.team_id != row.back_office_team_id or row.back_office_since is None:
            return True
        answered = TicketMessage.objects.filter(
            ticket=ticket, created_at__gte=row.back_office_since, author__team=row.back_office_team
        ).exists()
        if answered:
            return True
        row.back_office_overdue = True
        row.flagged_at = row.flagged_at or now
        row.updated_at = now
        row.save(update_fields=["back_office_overdue", "flagged_at", "updated_at"])
        users = _supervisors(row.back_office_team_id) + ([ticket.owner_id] if ticket.owner_id else [])
        team_name = row.back_office_team.name if row.back_office_team else ""
        _notify(
            ticket, users,
            _("%(number)s: %(team)s has not answered within the agreed limit") % {"number": ticket.number, "team": team_name},
            ticket.title, now,
        )
    return True


# --- the agent's side: category suggestion ---------------------------------------------------------


def category_suggestion_accept(*, actor: User, number: str) -> Ticket:
    """Set the suggested category on the ticket (through ticket_update, which checks access)."""
    with transaction.atomic():
        ticket = access_ticket(user=actor, number=number)
        row = TicketDispatch.objects.select_for_update().filter(ticket=ticket).first()
        if row is None or row.suggestion_state != SuggestionState.PENDING or row.suggested_category_id is None:
            raise DomainError(code=DispatchErrorCode.NO_SUGGESTION, message=_("There is no category suggestion to accept."))
        category = Category.objects.get(pk=row.suggested_category_id)
        ticket = ticket_update(actor=actor, number=number, changes={"category": category})
        row.suggestion_state = SuggestionState.ACCEPTED
        row.updated_at = timezone.now()
        row.save(update_fields=["suggestion_state", "updated_at"])
    return ticket


def category_suggestion_dismiss(*, actor: User, number: str) -> None:
    require_write(actor)
    with transaction.atomic():
        ticket = access_ticket(user=actor, number=number)
        row = TicketDispatch.objects.select_for_update().filter(ticket=ticket).first()
        if row is None or row.suggestion_state != SuggestionState.PENDING:
            raise DomainError(code=DispatchErrorCode.NO_SUGGESTION, message=_("There is no category suggestion to dismiss."))
        row.suggestion_state = SuggestionState.DISMISSED
        row.updated_at = timezone.now()
        row.save(update_fields=["suggestion_state", "updated_at"])


# --- configuration ---------------------------------------------------------------------------------


def team_set_assignment_mode(*, actor: User, team: Team, mode: str) -> Team:
    """Change a team's assignment mode; a team leaving manual mode has its queue drained at once."""
    require_configure(actor)
    if mode not in AssignmentMode.values:
        raise DomainError(code=DispatchErrorCode.INVALID_MODE, message=_("Unknown assignment mode."), fields={"mode": [_("Unknown assignment mode.")]})
    with transaction.atomic():
        locked = Team.objects.select_for_update().get(pk=team.pk)
        if locked.assignment_mode == mode:
            return locked
        locked.assignment_mode = mode
        locked.save(update_fields=["assignment_mode"])
        dispatch_team_queue_on_commit(locked.pk)
    return locked


RuleModel = TriageRule | CategoryRule | RoutingRule


def rule_save(*, actor: User | None, obj: RuleModel) -> RuleModel:
    """Save a rule (admin or page); every process reloads the compiled rules."""
    if actor is not None:
        require_configure(actor)
    with transaction.atomic():
        obj.save()
        config.rules_changed()
    return obj


def rule_delete(*, actor: User | None, obj: RuleModel) -> None:
    if actor is not None:
        require_configure(actor)
    with transaction.atomic():
        obj.delete()
        config.rules_changed()


def rules_changed_m2m() -> None:
    """After the admin saved a rule's many-to-many fields."""
    config.rules_changed()


def rules_install_defaults() -> TriageRule:
    """The default keyword rule of the issue (12315, 消协, 媒体 …): raises to high, grades major."""
    with transaction.atomic():
        rule, _created = TriageRule.objects.get_or_create(
            name=str(_("Sensitive words")),
            defaults={
                "position": 10, "keywords": list(DEFAULT_KEYWORDS), "set_priority": Priority.HIGH,
                "set_severity": Severity.MAJOR,
            },
        )
        config.rules_changed()
    return rule



def agent_loads_repair() -> dict[int, tuple[tuple[int, int], tuple[int, int]]]:
    """Set every AgentLoad row to a recount of the open tickets; returns what was wrong
    ({user_id: (stored, counted)}). The triggers keep the rows exact, so this is for the operator
    after an outside repair (a partial restore, a trigger dropped by hand). On PostgreSQL the
    tickets table is locked against writes (SHARE mode; reads go on) while it counts."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {connection.ops.quote_name(Ticket._meta.db_table)} IN SHARE MODE")
        drift = agent_loads_drift()
        for uid, (_stored, (count, weighted)) in drift.items():
            AgentLoad.objects.update_or_create(user_id=uid, defaults={"open_count": count, "weighted": weighted})
    if drift:
        logger.warning("dispatch: %s agent load rows repaired", len(drift))
    return drift
