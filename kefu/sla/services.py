"""Writes to SLA state: recompute a ticket's targets, fire warnings, breaches and escalations, and
keep calendars in step with the published Chinese holidays.

`sla_recompute(ticket_id)` is what ticket services call at the end of every write. The fire
services are called by the clock (kefu/sla/clock.py); each claims its row with a conditional UPDATE
(`num_updated == 1`), so several clocks at once never fire twice, and SlaEvent's unique constraint
backs that up in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, DateTimeField, F, Q, QuerySet, Value, When
from django.tasks import task
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.calendar import chinese_holiday_years, chinese_holidays
from kefu.core.errors import DomainError, NotFound
from kefu.sla import engine
from kefu.sla.access import require_config
from kefu.sla.choices import DayKind, DaySource, SlaEventKind, SlaStateChoice, SlaTarget
from kefu.sla.config import SlaConfig, get_config, sla_config_changed
from kefu.sla.errors import SlaErrorCode
from kefu.sla.history import history_from_events
from kefu.sla.models import (
    BusinessCalendar,
    CalendarDay,
    EscalationLevel,
    Notification,
    SlaEvent,
    TicketSla,
    WorkingPeriod,
)
from kefu.sla.policy import TicketAttrs
from kefu.sla.tasks import sla_event_notify_task, sla_events_notify_task
from kefu.tickets.choices import OPEN_STATUSES, Priority
from kefu.tickets.events import timeline_in_memory
from kefu.tickets.models import Ticket, TicketEvent
from kefu.tickets.services import ticket_change_priority, ticket_transfer, ticket_update

logger = logging.getLogger("kefu.sla")

# A warning, breach or escalation fired more than this after its moment is marked late (the clock
# was down or far behind).
LATE_AFTER = timedelta(minutes=2)
SYSTEM_USERNAME = "sla-bot"

_STATE_FIELDS = (
    "policy_id",
    "state",
    "paused",
    "cycle",
    "cycles_breached",
    "target_minutes",
    "started_at",
    "due_at",
    "achieved_at",
    "elapsed",
    "moments",
    "warnings_fired",
    "warn_due_at",
    "breach_due_at",
    "breach_fired_at",
    "escalation_level",
    "escalation_due_at",
    "risk_at",
)


# --- recompute -------------------------------------------------------------------------------------


def ticket_attrs(ticket: Ticket, category_path: str | None, tier_id: int | None) -> TicketAttrs:
    return TicketAttrs(
        kind=ticket.kind,
        priority=ticket.priority,
        channel=ticket.channel,
        category_path=category_path,
        tier_id=tier_id,
    )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _parse(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def _at(values: Sequence[Any], index: int) -> datetime | None:
    return _parse(values[index]) if 0 <= index < len(values) else None


@dataclass
class _Plan:
    create: list[TicketSla]
    update: list[tuple[TicketSla, list[str]]]
    delete: list[int]


def _plan(
    *,
    ticket: Ticket,
    attrs: TicketAttrs,
    rows: Iterable[tuple[str, dict[str, Any], datetime]],
    existing: dict[str, TicketSla],
    config: SlaConfig,
    now: datetime,
) -> _Plan:
    """Run the engine on one ticket and work out the rows to create, update and delete."""
    try:
        rule = config.policy_for(attrs)
    except LookupError:
        # No default policy (deleted by hand, or a flushed test database): a ticket write must not
        # fail for it; the ticket simply has no time limits.
        logger.warning("sla: no policy matches ticket %s and there is no default policy", ticket.pk)
        return _Plan([], [], [row.pk for row in existing.values()])
    calendar = config.calendars[rule.calendar_id]
    history = history_from_events(rows, final_status=ticket.status)
    if not history:  # a ticket without its creation event: time it from created_at
        history = [engine.Ev(ticket.created_at, engine.EvKind.CREATED)]
    results = engine.compute(history, rule.specs(), calendar, now=now, pause_statuses=rule.pause_statuses)
    levels = [e.level for e in sorted(rule.escalations, key=lambda e: e.level)]
    plan = _Plan([], [], [])
    for target, result in results.items():
        row = existing.get(target.value)
        is_new = row is None
        if row is None:
            row = TicketSla(ticket_id=ticket.pk, target=target.value)
        old = {f: getattr(row, f, None) for f in _STATE_FIELDS} if not is_new else {}
        if is_new or row.cycle != result.cycle:
            row.warnings_fired = 0
            row.breach_fired_at = None
            row.escalation_level = 0
        row.policy_id = rule.id
        row.state = result.state.value
        row.paused = result.paused
        row.cycle = result.cycle
        row.cycles_breached = result.cycles_breached
        row.target_minutes = dict(rule.minutes)[target]
        row.started_at = result.started_at
        row.due_at = result.due_at
        row.achieved_at = result.achieved_at
        row.elapsed = result.elapsed
        warn = [_iso(w) for w in result.warn_at]
        escalate = [_iso(e) for e in result.escalate_at]
        row.moments = {"warn": warn, "shares": list(rule.shares()),
                       "escalate": escalate, "levels": levels}
        open_ = result.achieved_at is None
        row.warn_due_at = _at(warn, row.warnings_fired) if open_ else None
        row.breach_due_at = result.due_at if open_ and row.breach_fired_at is None else None
        if open_ and row.breach_fired_at is not None:
            row.escalation_due_at = _at(escalate, row.escalation_level)
            # A breach the clock already announced stays breached while the target is open, even if
            # a longer target now applies (the warning and breach were real when they fired).
        else:
            row.escalation_due_at = None
        row.risk_at = result.risk_at if open_ else None
        row.computed_at = now
        if is_new:
            plan.create.append(row)
        else:
            changed = [f for f in _STATE_FIELDS if getattr(row, f) != old[f]]
            if changed:
                plan.update.append((row, [*changed, "computed_at"]))
    plan.delete = [row.pk for target, row in existing.items() if engine.Target(target) not in results]
    return plan


def _timeline(ticket_ids: Sequence[int]) -> dict[int, list[tuple[str, dict[str, Any], datetime]]]:
    out: dict[int, list[tuple[str, dict[str, Any], datetime]]] = {pk: [] for pk in ticket_ids}
    qs = (
        TicketEvent.objects.filter(ticket_id__in=ticket_ids)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "kind", "data", "created_at")
    )
    for ticket_id, kind, data, at in qs:
        out[ticket_id].append((kind, data or {}, at))
    return out


def _timeline_of(ticket_id: int, new: bool) -> list[tuple[str, dict[str, Any], datetime]]:
    """A new ticket's timeline as its creation wrote it (no read), else from the database."""
    written = timeline_in_memory(ticket_id) if new else None
    return written if written is not None else _timeline([ticket_id])[ticket_id]


def _apply(plan: _Plan) -> None:
    if plan.delete:
        TicketSla.objects.filter(pk__in=plan.delete).delete()
    if plan.create:
        TicketSla.objects.bulk_create(plan.create)
    if len(plan.update) == 1:
        row, fields = plan.update[0]
        row.save(update_fields=fields)
    elif plan.update:
        # One UPDATE ... CASE for the ticket's changed rows (they are locked: writing a column that
        # did not change writes the value it has).
        fields = list(dict.fromkeys(f for _row, fs in plan.update for f in fs))
        TicketSla.objects.bulk_update([row for row, _fs in plan.update], fields)


def sla_recompute(
    ticket_id: int,
    *,
    now: datetime | None = None,
    new: bool = False,
    read_back: bool = True,
    ticket: Ticket | None = None,
) -> list[TicketSla]:
    """Recompute every SLA target of one ticket from its whole timeline and save what changed.

    Runs as the ticket's in-transaction reaction (kefu.sla.reactions), inside the change's
    transaction (it joins it, without a savepoint). Locks the ticket row and its TicketSla rows, so
    it serialises with other writers and with the clock's claims; a clock claim that lost the race
    finds the due column changed and skips. Never fires anything itself: moments already past are
    left to the clock, which marks them late.

    `ticket`: the row as the caller's transaction has locked and saved it (with its category and
    customer), so it need not be read again. `new`: the ticket was created in this transaction, so it has no TicketSla rows yet and nobody
    else can see it (no rows to read and lock). `read_back=False`: return nothing instead of reading
    the rows back (the reaction does not need them).
    """
    now = now or timezone.now()
    given = ticket is not None and ticket.pk == ticket_id
    with transaction.atomic(savepoint=False):
        if ticket is None or ticket.pk != ticket_id:
            ticket = Ticket.objects.select_for_update(of=("self",)).select_related("category", "customer").get(
                pk=ticket_id
            )
        existing = (
            {} if new else {r.target: r for r in TicketSla.objects.select_for_update().filter(ticket_id=ticket_id)}
        )
        attrs = ticket_attrs(
            ticket,
            ticket.category.path if ticket.category else None,
            ticket.customer.tier_id if ticket.customer else None,
        )
        plan = _plan(
            ticket=ticket,
            attrs=attrs,
            rows=_timeline_of(ticket_id, new),
            existing=existing,
            config=get_config(),
            now=now,
        )
        _apply(plan)
        if given:
            # The caller's row carries its rows as this transaction leaves them, so the answer
            # that shows them (the API's `sla`, the ticket page) need not read them back.
            gone = set(plan.delete)
            ticket.sla_rows_written = [  # type: ignore[attr-defined]
                *(r for r in existing.values() if r.pk not in gone), *plan.create
            ]
    if not read_back:
        return []
    order = list(SlaTarget.values)
    return sorted(TicketSla.objects.filter(ticket_id=ticket_id), key=lambda r: order.index(r.target))


def sla_recompute_many(ticket_ids: Sequence[int], *, now: datetime | None = None) -> int:
    """Recompute a batch of tickets with a handful of queries (backfills, policy edits, the
    benchmark). Does not lock ticket rows: run it where no ticket service races it, or per ticket
    through sla_recompute. Returns the number of rows written."""
    now = now or timezone.now()
    config = get_config()
    written = 0
    with transaction.atomic():
        tickets = list(
            Ticket.objects.filter(pk__in=ticket_ids)
            .select_related("category", "customer")
            .only("id", "kind", "priority", "channel", "status", "created_at", "category__path", "customer__tier_id")
        )
        timelines = _timeline([t.pk for t in tickets])
        existing: dict[int, dict[str, TicketSla]] = {}
        # Locked (in id order, so two recomputes cannot deadlock): a clock firing one of these rows
        # meanwhile would otherwise have its warnings_fired / breach_fired_at written back stale.
        # The clock skips locked rows and fires them after this commit.
        for row in TicketSla.objects.select_for_update().filter(ticket_id__in=[t.pk for t in tickets]).order_by("pk"):
            existing.setdefault(row.ticket_id, {})[row.target] = row
        create: list[TicketSla] = []
        update: list[TicketSla] = []
        delete: list[int] = []
        for ticket in tickets:
            attrs = ticket_attrs(
                ticket,
                ticket.category.path if ticket.category else None,
                ticket.customer.tier_id if ticket.customer else None,
            )
            plan = _plan(
                ticket=ticket, attrs=attrs, rows=timelines[ticket.pk], existing=existing.get(ticket.pk, {}),
                config=config, now=now,
            )
            create += plan.create
            update += [r for r, _f in plan.update]
            delete += plan.delete
        if delete:
            TicketSla.objects.filter(pk__in=delete).delete()
        _write_many(create, update)
        written = len(create) + len(update) + len(delete)
    return written


def _write_many(create: list[TicketSla], update: list[TicketSla]) -> None:
    """Insert and update recomputed rows. On PostgreSQL through COPY (a temporary table and one
    UPDATE ... FROM for the updates): bulk_create/bulk_update build the SQL in Python and cost as
    much as the engine itself. Elsewhere through the ORM."""
    concrete = {f.name: f for f in TicketSla._meta.concrete_fields}
    fields = [concrete[name.removesuffix("_id")] for name in (*_STATE_FIELDS, "computed_at")]
    if connection.vendor != "postgresql":
        TicketSla.objects.bulk_create(create, batch_size=500)
        if update:
            TicketSla.objects.bulk_update(update, [f.name for f in fields], batch_size=500)
        return
    from psycopg import sql
    from psycopg.types.json import Jsonb

    def values(row: TicketSla) -> list[Any]:
        out = []
        for f in fields:
            value = getattr(row, f.attname)
            out.append(Jsonb(value) if f.name == "moments" else value)
        return out

    table = sql.Identifier(TicketSla._meta.db_table)
    columns = [sql.Identifier(str(f.column)) for f in fields]
    with connection.cursor() as cursor:
        pg = cursor.cursor
        if create:
            copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
                table, sql.SQL(", ").join([sql.Identifier("ticket_id"), sql.Identifier("target"), *columns])
            )
            with pg.copy(copy_sql) as copy:
                for row in create:
                    copy.write_row([row.ticket_id, row.target, *values(row)])
        if update:
            pg.execute(
                sql.SQL("CREATE TEMPORARY TABLE sla_recompute_tmp ON COMMIT DROP AS SELECT id, {} FROM {} WITH NO DATA").format(
                    sql.SQL(", ").join(columns), table
                )
            )
            with pg.copy(sql.SQL("COPY sla_recompute_tmp (id, {}) FROM STDIN").format(sql.SQL(", ").join(columns))) as copy:
                for row in update:
                    copy.write_row([row.pk, *values(row)])
            pg.execute(
                sql.SQL("UPDATE {} AS t SET {} FROM sla_recompute_tmp AS u WHERE t.id = u.id").format(
                    table, sql.SQL(", ").join(sql.SQL("{} = u.{}").format(c, c) for c in columns)
                )
            )
            pg.execute("DROP TABLE sla_recompute_tmp")


# --- firing ----------------------------------------------------------------------------------------


def _recipients(ticket: Ticket, *, team_lead: bool, managers: bool, users: Iterable[int] = ()) -> list[User]:
    ids: dict[int, None] = dict.fromkeys(users)
    if team_lead and ticket.team_id:
        ids.update(
            dict.fromkeys(
                User.objects.filter(team_id=ticket.team_id, role=Role.TEAM_LEAD, is_active=True).values_list(
                    "pk", flat=True
                )
            )
        )
    if managers:
        ids.update(dict.fromkeys(User.objects.filter(role=Role.MANAGER, is_active=True).values_list("pk", flat=True)))
    return list(User.objects.filter(pk__in=list(ids), is_active=True).order_by("pk"))


def _owner_recipients(ticket: Ticket) -> list[User]:
    """Who hears warnings and breaches: the assignee, or the team lead while nobody has it."""
    if ticket.assignee_id:
        return list(User.objects.filter(pk=ticket.assignee_id, is_active=True))
    return _recipients(ticket, team_lead=True, managers=False)


def _title(ticket: Ticket, kind: str, target: str, level: int, share: int | None) -> str:
    label = SlaTarget(target).label
    if kind == SlaEventKind.WARNING:
        return _("%(number)s: %(target)s is %(share)s%% used") % {
            "number": ticket.number, "target": label, "share": share
        }
    if kind == SlaEventKind.BREACH:
        return _("%(number)s: %(target)s time limit breached") % {"number": ticket.number, "target": label}
    return _("%(number)s: %(target)s escalated to level %(level)s") % {
        "number": ticket.number, "target": label, "level": level
    }


def _fire(
    *,
    row: TicketSla,
    kind: SlaEventKind,
    level: int,
    moment: datetime,
    now: datetime,
    recipients: list[User],
    data: dict[str, Any],
) -> SlaEvent | None:
    """Write the SlaEvent and in-app notifications; send the other channels after commit. Returns
    None when the event already exists (only possible after manual tampering with the rows)."""
    late = now - moment > LATE_AFTER
    keys = {"ticket_id": row.ticket_id, "target": row.target, "kind": kind, "cycle": row.cycle, "level": level}
    # No savepoint around the insert (two round trips per fire, the sweep's cost): a duplicate aborts
    # the whole fire and `_once` runs it again with this check on, so the claim still goes through.
    if _checking_duplicates.get() and SlaEvent.objects.filter(**keys).exists():
        logger.warning("sla: %s L%s of ticket %s/%s fired already", kind, level, row.ticket_id, row.target)
        return None
    event = SlaEvent.objects.create(**keys, moment=moment, fired_at=now, late=late, data=data)
    ticket = row.ticket
    title = _title(ticket, kind, row.target, level, data.get("share"))
    if late:
        title += " " + _("(late)")
    body = ticket.title
    Notification.objects.bulk_create(
        [Notification(user=u, ticket_id=row.ticket_id, event=event, title=title[:200], body=body, created_at=now)
         for u in recipients]
    )
    _enqueue_notify([event.pk])
    return event


def _enqueue_notify(event_ids: list[int]) -> None:
    """One notify task for the events of a fire (or of a batch of fires)."""

    def _send() -> None:
        if len(event_ids) == 1:
            sla_event_notify_task.enqueue(event_id=event_ids[0])
        else:
            sla_events_notify_task.enqueue(event_ids=event_ids)

    if _tasks_in_this_database():
        # The task row commits with the event (a transactional outbox): no second commit per fire,
        # and a clock killed between commit and enqueue can no longer lose the notification.
        # Workers only see the row after commit, so nothing is sent for a rolled-back fire.
        _send()
    else:
        transaction.on_commit(_send)


def _tasks_in_this_database() -> bool:
    from django.conf import settings

    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    return bool(backend == "django_tasks_db.DatabaseBackend")


_checking_duplicates: ContextVar[bool] = ContextVar("sla_checking_duplicates", default=False)


def _once(fire: Callable[[], bool]) -> bool:
    """Run a fire; if its SlaEvent already exists (only after tampering with the rows: the claim makes
    a second fire impossible otherwise) run it again checking first, so the row is still claimed
    and does not come back every few minutes."""
    try:
        return fire()
    except IntegrityError:
        if _checking_duplicates.get():
            raise
        token = _checking_duplicates.set(True)
        try:
            return fire()
        finally:
            _checking_duplicates.reset(token)


def _claimable() -> QuerySet[TicketSla]:
    """Rows another clock is firing right now are skipped, not waited for (PostgreSQL
    SKIP LOCKED; SQLite serialises writers anyway). The conditional UPDATE remains the claim."""
    return TicketSla.objects.select_related("ticket").select_for_update(skip_locked=True, of=("self",))


def sla_fire_warning(*, sla_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """Fire the next warning of a target whose `warn_due_at` is `due_at`. Returns whether this call
    claimed it. Notifies the assignee (or the team lead while unassigned)."""
    return _once(lambda: _fire_warning(sla_id=sla_id, due_at=due_at, now=now))


def _fire_warning(*, sla_id: int, due_at: datetime, now: datetime | None) -> bool:
    now = now or timezone.now()
    with transaction.atomic():
        row = _claimable().filter(pk=sla_id, warn_due_at=due_at).first()
        if row is None:
            return False
        k = row.warnings_fired
        warn = row.moments.get("warn", [])
        shares = row.moments.get("shares", [])
        claimed = TicketSla.objects.filter(pk=sla_id, warn_due_at=due_at, warnings_fired=k).update(
            warnings_fired=k + 1, warn_due_at=_at(warn, k + 1)
        )
        if claimed != 1:
            return False
        share = shares[k] if k < len(shares) else None
        _fire(row=row, kind=SlaEventKind.WARNING, level=k + 1, moment=due_at, now=now,
              recipients=_owner_recipients(row.ticket), data={"share": share})
    return True


def sla_fire_breach(*, sla_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """Mark a target breached at its due time and schedule its first escalation level."""
    return _once(lambda: _fire_breach(sla_id=sla_id, due_at=due_at, now=now))


def _fire_breach(*, sla_id: int, due_at: datetime, now: datetime | None) -> bool:
    now = now or timezone.now()
    with transaction.atomic():
        row = _claimable().filter(pk=sla_id, breach_due_at=due_at).first()
        if row is None:
            return False
        # After an outage, warnings still owed fire first, so the timeline reads in order.
        while row.warn_due_at is not None and row.warn_due_at <= now:
            sla_fire_warning(sla_id=sla_id, due_at=row.warn_due_at, now=now)
            row = _claimable().filter(pk=sla_id, breach_due_at=due_at).first()
            if row is None:
                return False
        claimed = TicketSla.objects.filter(pk=sla_id, breach_due_at=due_at, breach_fired_at__isnull=True).update(
            breach_due_at=None,
            breach_fired_at=now,
            state=SlaStateChoice.BREACHED,
            escalation_level=0,
            escalation_due_at=_at(row.moments.get("escalate", []), 0),
        )
        if claimed != 1:
            return False
        _fire(row=row, kind=SlaEventKind.BREACH, level=0, moment=due_at, now=now,
              recipients=_owner_recipients(row.ticket), data={})
    return True


FIRE_BATCH = 50


class SlaClaimLost(Exception):
    """A batch claim updated fewer rows than it locked (cannot happen while the row locks hold);
    the batch is rolled back and its rows are left to the one-row path."""


def sla_fire_due(*, kind: SlaEventKind, now: datetime | None = None, limit: int = FIRE_BATCH) -> dict[int, datetime]:
    """Fire up to `limit` due warnings or breaches (the earliest first) in one transaction and return
    {sla_id: due moment} of the rows fired. The clock's fast path (kefu/sla/clock.py).

    Same guarantees as the one-row services, with a handful of statements per batch instead of
    seven per fire: the rows are locked (PostgreSQL `FOR UPDATE SKIP LOCKED`, so two clocks take
    disjoint batches; SQLite serialises writers), then claimed by one conditional UPDATE on the values
    read (`pk = a AND warn_due_at = X AND warnings_fired = k OR ...`), which must update every row or
    the batch rolls back (SlaClaimLost). SlaEvents, notifications and one notify task are written in
    bulk in the same transaction, so a clock killed mid-batch leaves nothing half done, and the
    unique SlaEvent constraint still refuses a second event (IntegrityError, batch rolled back).
    Breaches that still owe warnings are left to `sla_fire_breach`, which fires those first.
    """
    now = now or timezone.now()
    if kind == SlaEventKind.WARNING:
        due_field = "warn_due_at"
    elif kind == SlaEventKind.BREACH:
        due_field = "breach_due_at"
    else:
        raise ValueError(f"cannot batch {kind}")
    with transaction.atomic():
        qs = _claimable().filter(**{f"{due_field}__lte": now})
        if kind == SlaEventKind.BREACH:
            qs = qs.filter(breach_fired_at__isnull=True).filter(Q(warn_due_at__isnull=True) | Q(warn_due_at__gt=now))
        rows = list(qs.order_by(due_field, "pk")[:limit])
        if not rows:
            return {}
        due = {row.pk: getattr(row, due_field) for row in rows}
        if kind == SlaEventKind.WARNING:
            when = reduce(or_, [Q(pk=r.pk, warn_due_at=due[r.pk], warnings_fired=r.warnings_fired) for r in rows])
            changes: dict[str, Any] = {
                "warnings_fired": F("warnings_fired") + 1,
                "warn_due_at": _case({row.pk: _at(row.moments.get("warn", []), row.warnings_fired + 1) for row in rows}),
            }
        else:
            when = reduce(or_, [Q(pk=r.pk, breach_due_at=due[r.pk], breach_fired_at__isnull=True) for r in rows])
            changes = {
                "breach_due_at": None,
                "breach_fired_at": now,
                "state": SlaStateChoice.BREACHED,
                "escalation_level": 0,
                "escalation_due_at": _case({row.pk: _at(row.moments.get("escalate", []), 0) for row in rows}),
            }
        if TicketSla.objects.filter(when).update(**changes) != len(rows):
            raise SlaClaimLost(f"{kind}: claimed fewer than {len(rows)} locked rows")
        events = []
        for row in rows:
            if kind == SlaEventKind.WARNING:
                level, shares = row.warnings_fired + 1, row.moments.get("shares", [])
                data: dict[str, Any] = {"share": shares[level - 1] if level - 1 < len(shares) else None}
            else:
                level, data = 0, {}
            events.append(
                SlaEvent(ticket_id=row.ticket_id, target=row.target, kind=kind, cycle=row.cycle, level=level,
                         moment=due[row.pk], fired_at=now, late=now - due[row.pk] > LATE_AFTER, data=data)
            )
        SlaEvent.objects.bulk_create(events)
        recipients = _owner_recipients_many([row.ticket for row in rows])
        notes = []
        for row, event in zip(rows, events, strict=True):
            title = _title(row.ticket, kind, row.target, event.level, event.data.get("share"))
            if event.late:
                title += " " + _("(late)")
            notes += [
                Notification(user_id=user_id, ticket_id=row.ticket_id, event=event, title=title[:200],
                             body=row.ticket.title, created_at=now)
                for user_id in recipients.get(row.ticket_id, [])
            ]
        Notification.objects.bulk_create(notes)
        _enqueue_notify([event.pk for event in events])
    return due


def _case(values: dict[int, datetime | None]) -> Case | None:
    """CASE id WHEN ... per row. All NULL is plain NULL: PostgreSQL would type a CASE of NULLs as
    text (no Cast instead: on SQLite it would turn the stored text into another format)."""
    if not any(values.values()):
        return None
    return Case(
        *[When(pk=pk, then=Value(at, output_field=DateTimeField())) for pk, at in values.items()],
        default=Value(None, output_field=DateTimeField()),
        output_field=DateTimeField(),
    )


def _owner_recipients_many(tickets: Sequence[Ticket]) -> dict[int, list[int]]:
    """`_owner_recipients` of many tickets in two queries: {ticket_id: [user ids]}."""
    assignees = set(
        User.objects.filter(pk__in={t.assignee_id for t in tickets if t.assignee_id}, is_active=True).values_list(
            "pk", flat=True
        )
    )
    leads: dict[int, list[int]] = {}
    teams = {t.team_id for t in tickets if not t.assignee_id and t.team_id}
    if teams:
        for user_id, team_id in (
            User.objects.filter(team_id__in=teams, role=Role.TEAM_LEAD, is_active=True)
            .order_by("pk")
            .values_list("pk", "team_id")
        ):
            leads.setdefault(team_id, []).append(user_id)
    out: dict[int, list[int]] = {}
    for ticket in tickets:
        if ticket.assignee_id:
            out[ticket.pk] = [ticket.assignee_id] if ticket.assignee_id in assignees else []
        else:
            out[ticket.pk] = leads.get(ticket.team_id, []) if ticket.team_id else []
    return out


def sla_fire_escalation(*, sla_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """Escalate a breached target one level: notify whom the level names and run its actions
    (raise priority, transfer to a team, add a tag) through the ticket services as the SLA robot."""
    return _once(lambda: _fire_escalation(sla_id=sla_id, due_at=due_at, now=now))


def _fire_escalation(*, sla_id: int, due_at: datetime, now: datetime | None) -> bool:
    now = now or timezone.now()
    with transaction.atomic():
        row = _claimable().filter(pk=sla_id, escalation_due_at=due_at).first()
        if row is None:
            return False
        index = row.escalation_level
        levels: list[int] = row.moments.get("levels", [])
        claimed = TicketSla.objects.filter(pk=sla_id, escalation_due_at=due_at, escalation_level=index).update(
            escalation_level=index + 1, escalation_due_at=_at(row.moments.get("escalate", []), index + 1)
        )
        if claimed != 1:
            return False
        number = levels[index] if index < len(levels) else index + 1
        level = (
            EscalationLevel.objects.filter(policy_id=row.policy_id, level=number)
            .select_related("reassign_team")
            .first()
        )
        ticket = row.ticket
        if level is None:
            recipients = _recipients(ticket, team_lead=True, managers=False)
        else:
            recipients = _recipients(
                ticket,
                team_lead=level.notify_team_lead,
                managers=level.notify_managers,
                users=level.notify_users.values_list("pk", flat=True),
            )
        actions = _escalation_actions(ticket, level, number) if level is not None else []
        _fire(row=row, kind=SlaEventKind.ESCALATION, level=number, moment=due_at, now=now,
              recipients=recipients, data={"actions": actions})
    return True


def sla_system_user() -> User:
    """The robot actor of escalation actions (a manager account nobody can log in with)."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"display_name": _("SLA robot"), "role": Role.MANAGER}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


_RAISE = {Priority.LOW: Priority.NORMAL, Priority.NORMAL: Priority.HIGH, Priority.HIGH: Priority.URGENT}


def _escalation_actions(ticket: Ticket, level: EscalationLevel, number: int) -> list[str]:
    done: list[str] = []
    if not ticket.is_open:
        return done
    reason = _("SLA escalation level %(level)s") % {"level": number}
    robot = sla_system_user()

    def attempt(name: str, action: Callable[[], object]) -> None:
        # A refused action (the ticket moved on meanwhile) is recorded, not retried: the
        # notification of this level must still go out exactly once.
        try:
            with transaction.atomic():
                action()
        except DomainError as exc:
            done.append(f"{name}_failed:{exc.code}")
        else:
            done.append(name)

    if level.raise_priority and ticket.priority in _RAISE:
        new = _RAISE[Priority(ticket.priority)]
        attempt("raise_priority", lambda: ticket_change_priority(actor=robot, number=ticket.number, priority=new, reason=reason))
    if level.reassign_team is not None and level.reassign_team_id != ticket.team_id:
        team = level.reassign_team
        attempt("reassign_team", lambda: ticket_transfer(actor=robot, number=ticket.number, to_team=team, reason=reason))
    if level.add_tag:
        tags = list(ticket.tags.values_list("name", flat=True))
        if level.add_tag not in tags:
            new_tags = [*tags, level.add_tag]
            attempt("add_tag", lambda: ticket_update(actor=robot, number=ticket.number, changes={}, tags=new_tags))
    if done:
        # The ticket services do not call sla_recompute yet; a raised priority may change the policy.
        sla_recompute(ticket.pk)
    return done


# --- calendars -------------------------------------------------------------------------------------


def calendar_sync_holidays(*, calendar: BusinessCalendar, years: Iterable[int] | None = None) -> dict[str, int]:
    """Seed holidays and make-up days of `years` (default: every year the package knows) from
    chinese-calendar. Manual rows win: they are never changed or deleted. Package rows the package
    no longer lists are deleted (the State Council corrected a date). Returns counts."""
    wanted = sorted(set(years) if years is not None else set(chinese_holiday_years()))
    holidays, workdays = chinese_holidays(wanted)
    seeded: dict[date, str] = {d: DayKind.HOLIDAY for d in holidays}
    seeded.update({d: DayKind.WORKDAY for d in workdays})
    counts = {"created": 0, "updated": 0, "deleted": 0, "kept_manual": 0}
    with transaction.atomic():
        rows = {
            r.date: r
            for r in CalendarDay.objects.select_for_update().filter(calendar=calendar, date__year__in=wanted)
        }
        create = []
        for day, kind in sorted(seeded.items()):
            row = rows.get(day)
            if row is None:
                create.append(CalendarDay(calendar=calendar, date=day, kind=kind, source=DaySource.PACKAGE))
            elif row.source == DaySource.MANUAL:
                counts["kept_manual"] += 1
            elif row.kind != kind:
                row.kind = kind
                row.save(update_fields=["kind"])
                counts["updated"] += 1
        CalendarDay.objects.bulk_create(create)
        counts["created"] = len(create)
        stale = [r.pk for d, r in rows.items() if r.source == DaySource.PACKAGE and d not in seeded]
        counts["deleted"] = CalendarDay.objects.filter(pk__in=stale).delete()[0]
        if counts["created"] or counts["updated"] or counts["deleted"]:
            sla_config_edited()
    return counts


# --- configuration edits ---------------------------------------------------------------------------


def sla_config_save(*, obj: Any) -> None:
    """Save a calendar, working period, calendar day, policy or escalation level edited by hand and
    make every process reload the configuration. A calendar day saved here becomes manual, so the
    holiday sync never overwrites it. Open tickets are recomputed by a task enqueued on commit."""
    with transaction.atomic():
        if isinstance(obj, CalendarDay):
            obj.source = DaySource.MANUAL
        obj.save()
        sla_config_edited()


def sla_config_delete(*, obj: Any) -> None:
    """Delete a configuration row (the default policy and calendars in use are protected by the
    admin and by PROTECT foreign keys). Open tickets are recomputed on commit."""
    with transaction.atomic():
        obj.delete()
        sla_config_edited()


def sla_config_edited() -> None:
    """A calendar or policy changed: new config token now (in the caller's transaction) and, after
    commit, one task that recomputes every open ticket in batches. Several edits in one
    transaction enqueue one task."""
    sla_config_changed()
    connection = transaction.get_connection()
    # The admin saves a policy, then its inlines, in one transaction: one task is enough. Looking at
    # the pending callbacks (not a flag) stays right when a savepoint rolls back.
    if any(getattr(item[1], "kefu_sla_recompute", False) for item in connection.run_on_commit):
        return

    def _enqueue() -> None:
        sla_recompute_open_task.enqueue()

    _enqueue.kefu_sla_recompute = True  # type: ignore[attr-defined]
    transaction.on_commit(_enqueue)


RECOMPUTE_BATCH = 500


def sla_recompute_open(*, batch: int = RECOMPUTE_BATCH, now: datetime | None = None) -> int:
    """Recompute the SLA rows of every open ticket, `batch` tickets per transaction (after a policy or
    calendar edit, and after `kefu demo`). Returns the number of tickets seen. Closed tickets keep
    the state they were closed with."""
    seen = 0
    last = 0
    while True:
        ids = list(
            Ticket.objects.filter(status__in=OPEN_STATUSES, pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return seen
        sla_recompute_many(ids, now=now)
        seen += len(ids)
        last = ids[-1]


def sla_recompute_all(*, batch: int = RECOMPUTE_BATCH, now: datetime | None = None) -> int:
    """Recompute every ticket, open or not (backfill after `kefu demo` or an import)."""
    seen = 0
    last = 0
    while True:
        ids = list(Ticket.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return seen
        sla_recompute_many(ids, now=now)
        seen += len(ids)
        last = ids[-1]


def calendar_day_set(*, actor: User, calendar_id: int, day: date, kind: str, note: str = "") -> CalendarDay | None:
    """Make `day` of a calendar a holiday, a make-up working day (调休) or an ordinary day, by hand.

    The row becomes manual, so the holiday sync never changes it back. "Ordinary" on a day without a
    row changes nothing (None); on a seeded day it keeps a manual ordinary row that cancels the
    seeded one. Managers only. Bumps the config version; open tickets are recomputed on commit."""
    require_config(actor)
    if kind not in DayKind.values:
        raise DomainError(
            code=SlaErrorCode.BAD_DAY_KIND, message=_("Unknown kind of day."), fields={"kind": [_("Unknown kind of day.")]}
        )
    with transaction.atomic():
        calendar = BusinessCalendar.objects.select_for_update().filter(pk=calendar_id).first()
        if calendar is None:
            raise NotFound(code=SlaErrorCode.CALENDAR_NOT_FOUND, message=_("No such calendar."))
        if calendar.is_24x7:
            raise DomainError(code=SlaErrorCode.CALENDAR_24X7, message=_("A 24×7 calendar has no holidays."))
        row = CalendarDay.objects.filter(calendar=calendar, date=day).first()
        if row is None and kind == DayKind.NORMAL:
            return None
        if row is None:
            row = CalendarDay(calendar=calendar, date=day)
        row.kind = kind
        row.note = note[:64] if note else row.note
        row.source = DaySource.MANUAL
        row.save()
        sla_config_edited()
    return row


def _minutes(at: time, *, end: bool) -> int:
    """Minutes since midnight; an end of 00:00 is midnight at the end of the day (24:00)."""
    minutes = at.hour * 60 + at.minute
    return 24 * 60 if end and minutes == 0 and at.second == 0 else minutes


def calendar_periods_set(
    *, actor: User, calendar_id: int, periods: Iterable[tuple[int, time, time]]
) -> list[WorkingPeriod]:
    """Replace the weekly working hours of a calendar with `periods` (weekday 0 = Monday, from,
    until; until 00:00 means 24:00). A weekday without periods is closed. Managers only.

    Each period must end after it starts, and the periods of one weekday must not overlap (touching
    is fine: 09:00–12:00 and 12:00–13:00). Refusals name the weekday in `fields` ("weekday_<n>").
    Locks the calendar row; bumps the config version; open tickets are recomputed on commit."""
    require_config(actor)
    by_day: dict[int, list[tuple[int, int, time, time]]] = {}
    for weekday, start, end in periods:
        if not 0 <= weekday <= 6:
            raise DomainError(code=SlaErrorCode.BAD_PERIOD, message=_("Unknown weekday."))
        a, b = _minutes(start, end=False), _minutes(end, end=True)
        if b <= a:
            message = _("%(start)s–%(end)s: a working period must end after it starts.") % {
                "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"
            }
            raise DomainError(code=SlaErrorCode.BAD_PERIOD, message=message, fields={f"weekday_{weekday}": [message]})
        by_day.setdefault(weekday, []).append((a, b, start, end))
    for weekday, spans in by_day.items():
        spans.sort()
        for (_a1, b1, s1, e1), (a2, _b2, s2, e2) in zip(spans, spans[1:], strict=False):
            if a2 < b1:
                message = _("%(first)s and %(second)s overlap.") % {
                    "first": f"{s1:%H:%M}–{e1:%H:%M}", "second": f"{s2:%H:%M}–{e2:%H:%M}"
                }
                raise DomainError(
                    code=SlaErrorCode.PERIODS_OVERLAP, message=message, fields={f"weekday_{weekday}": [message]}
                )
    with transaction.atomic():
        calendar = BusinessCalendar.objects.select_for_update().filter(pk=calendar_id).first()
        if calendar is None:
            raise NotFound(code=SlaErrorCode.CALENDAR_NOT_FOUND, message=_("No such calendar."))
        if calendar.is_24x7:
            raise DomainError(code=SlaErrorCode.CALENDAR_24X7, message=_("A 24×7 calendar has no working hours."))
        WorkingPeriod.objects.filter(calendar=calendar).delete()
        rows = WorkingPeriod.objects.bulk_create(
            [
                WorkingPeriod(calendar=calendar, weekday=weekday, start=start, end=end)
                for weekday in sorted(by_day)
                for _a, _b, start, end in by_day[weekday]
            ]
        )
        calendar.save(update_fields=["updated_at"])
        sla_config_edited()
    return rows


def calendar_day_cycle(*, actor: User, calendar_id: int, day: date) -> CalendarDay | None:
    """The year view's click: ordinary → holiday → make-up working day → ordinary."""
    current = CalendarDay.objects.filter(calendar_id=calendar_id, date=day).values_list("kind", flat=True).first()
    following = {DayKind.HOLIDAY: DayKind.WORKDAY, DayKind.WORKDAY: DayKind.NORMAL}
    kind = following.get(DayKind(current), DayKind.HOLIDAY) if current else DayKind.HOLIDAY
    return calendar_day_set(actor=actor, calendar_id=calendar_id, day=day, kind=kind)

@task()
def sla_recompute_open_task() -> None:
    """After a calendar or policy edit: recompute every open ticket in batches (idempotent)."""
    sla_recompute_open()
