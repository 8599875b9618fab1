"""Ticket reactions: what happened to a ticket, as typed facts, and the apps that react to them.

The ticket app publishes facts (TicketCreated, TicketAssigned, TicketStatusChanged ...) from its
services and imports none of the apps that react. An app subscribes in its `AppConfig.ready()`:

    from kefu.tickets.reactions import Phase, TicketCreated, subscribe

    subscribe(TicketCreated, sample_for_review, phase=Phase.AFTER_COMMIT, name="quality.sample", order=500)

Phases:
- IN_TRANSACTION: runs inside the ticket change's transaction, before it commits. A failure rolls
  the whole change back and the caller gets ReactionFailed (a DomainError). For what must commit
  or roll back with the change: SLA clocks, dispatch's choice of agent.
- AFTER_COMMIT: runs once the change is committed. A failure never loses the change: it is logged
  with the ticket number, stored as a ReactionFailure and retried by the clock.
- TASK: enqueued as a background task once the change is committed (the task worker runs it);
  a failing run is stored and retried the same way.

Order inside a phase is the subscription's `order` (unique per phase), never import order;
`kefu reactions` prints the table and docs/architecture.md shows it.

Services wrap their work in `ticket_change()` (a transaction plus a collecting scope). Facts
published inside a scope are held until the outermost scope of that service call ends, then the
in-transaction reactions run, once per fact, in order. A ticket service that a reaction calls
(dispatch assigning the new ticket) adds its facts to the batch: they make the next round. A
subscription with `once_per_ticket=True` runs after the rounds settle, once per ticket with its
last fact: SLA recomputes once for a create that dispatch assigned, or a reply that also changed
the status.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db import connection, transaction
from django.tasks import task
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kefu.core import tokens
from kefu.core.dbretry import connection_lost, gone
from kefu.core.errors import DomainError
from kefu.tickets.models import ReactionFailure, Ticket

logger = logging.getLogger("kefu.reactions")


class Phase(StrEnum):
    IN_TRANSACTION = "in_transaction"
    AFTER_COMMIT = "after_commit"
    TASK = "task"


class AuthorKind(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"
    SYSTEM = "system"


# --- facts -----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TicketState:
    """The ticket as it stands after the change: enough for most subscribers not to read it again."""

    id: int
    number: str
    kind: str
    channel: str
    priority: str
    status: str
    team_id: int | None
    assignee_id: int | None
    owner_id: int | None
    customer_id: int | None
    category_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, ticket: Ticket) -> TicketState:
        return cls(
            id=ticket.pk, number=ticket.number, kind=ticket.kind, channel=ticket.channel,
            priority=ticket.priority, status=ticket.status, team_id=ticket.team_id,
            assignee_id=ticket.assignee_id, owner_id=ticket.owner_id, customer_id=ticket.customer_id,
            category_id=ticket.category_id, created_at=ticket.created_at,
        )


@dataclass(frozen=True, kw_only=True)
class TicketFact:
    """Base of every fact. `instance` is the live row for IN_TRANSACTION subscribers (saves them a
    query); it is not stored with a failure, so a retried reaction gets None and must read."""

    ticket: TicketState
    at: datetime
    actor_id: int | None = None
    by_customer: bool = False
    instance: Ticket | None = field(default=None, compare=False, repr=False)

    @property
    def ticket_id(self) -> int:
        return self.ticket.id


@dataclass(frozen=True, kw_only=True)
class TicketCreated(TicketFact):
    pass


@dataclass(frozen=True, kw_only=True)
class TicketUpdated(TicketFact):
    """Plain fields changed: `changes` maps field → [old, new] (as text); tags are not fields."""

    changes: dict[str, list[str | None]] = field(default_factory=dict)
    tags_changed: bool = False


@dataclass(frozen=True, kw_only=True)
class TicketAssigned(TicketFact):
    """Assigned to someone, or returned to the team queue (to_assignee_id None)."""

    from_assignee_id: int | None = None
    to_assignee_id: int | None = None
    from_team_id: int | None = None
    to_team_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class TicketTransferred(TicketFact):
    from_team_id: int | None = None
    to_team_id: int | None = None
    from_assignee_id: int | None = None
    to_assignee_id: int | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class TicketPriorityChanged(TicketFact):
    from_priority: str = ""
    to_priority: str = ""


@dataclass(frozen=True, kw_only=True)
class TicketStatusChanged(TicketFact):
    """Every status change: by hand, by a reply, by the customer, by the clock (`auto`)."""

    from_status: str = ""
    to_status: str = ""
    auto: bool = False


@dataclass(frozen=True, kw_only=True)
class TicketReopened(TicketFact):
    """Published beside TicketStatusChanged when a done ticket goes back to work."""

    from_status: str = ""
    to_status: str = ""


@dataclass(frozen=True, kw_only=True)
class TicketClosed(TicketFact):
    """Published beside TicketStatusChanged when a ticket closes (`auto`: by the clock)."""

    from_status: str = ""
    auto: bool = False


@dataclass(frozen=True, kw_only=True)
class TicketMessageAdded(TicketFact):
    message_id: int = 0
    is_public: bool = True
    author_kind: str = AuthorKind.AGENT


@dataclass(frozen=True, kw_only=True)
class TicketMerged(TicketFact):
    """`ticket` is the source (now closed and pointing at the target)."""

    into_id: int = 0
    into_number: str = ""


@dataclass(frozen=True, kw_only=True)
class TicketSurveyAnswered(TicketFact):
    """Published by the satisfaction app when a customer answers a ticket's survey."""

    survey_id: int = 0
    score: int | None = None
    dissatisfied: bool = False


FACT_TYPES: dict[str, type[TicketFact]] = {
    cls.__name__: cls
    for cls in (
        TicketCreated, TicketUpdated, TicketAssigned, TicketTransferred, TicketPriorityChanged,
        TicketStatusChanged, TicketReopened, TicketClosed, TicketMessageAdded, TicketMerged,
        TicketSurveyAnswered,
    )
}


def fact_to_json(fact: TicketFact) -> dict[str, Any]:
    """A fact as JSON-able data (datetimes as ISO text), without the live instance."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    data = {f.name: getattr(fact, f.name) for f in dataclasses.fields(fact) if f.name not in ("instance", "ticket")}
    data["ticket"] = {f.name: getattr(fact.ticket, f.name) for f in dataclasses.fields(fact.ticket)}
    return {"type": type(fact).__name__, "data": plain(data)}


def fact_from_json(payload: dict[str, Any]) -> TicketFact:
    cls = FACT_TYPES[payload["type"]]
    data = dict(payload["data"])
    state = dict(data.pop("ticket"))
    state["created_at"] = parse_datetime(state["created_at"])
    data["at"] = parse_datetime(data["at"])
    return cls(ticket=TicketState(**state), **data)


# --- subscriptions ---------------------------------------------------------------------------------

Handler = Callable[[Any], None]


@dataclass(frozen=True)
class Subscription:
    name: str  # "<app>.<what>", unique: failures and tasks find the handler by it
    facts: tuple[type[TicketFact], ...]
    handler: Handler
    phase: Phase
    order: int
    when: Callable[[Any], bool] | None = None
    once_per_ticket: bool = False

    def matches(self, fact: TicketFact) -> bool:
        return isinstance(fact, self.facts) and (self.when is None or self.when(fact))


_subscriptions: dict[str, Subscription] = {}


def subscribe(
    facts: type[TicketFact] | Sequence[type[TicketFact]],
    handler: Handler,
    *,
    phase: Phase,
    name: str,
    order: int,
    when: Callable[[Any], bool] | None = None,
    once_per_ticket: bool = False,
) -> Subscription:
    """Register `handler(fact)` for one or more fact types. Call from AppConfig.ready(). Subscribing
    the same name again replaces it (ready() may run twice in tests); two subscriptions may not
    share an order inside a phase."""
    types = (facts,) if isinstance(facts, type) else tuple(facts)
    sub = Subscription(
        name=name, facts=types, handler=handler, phase=Phase(phase), order=order, when=when,
        once_per_ticket=once_per_ticket,
    )
    clash = [s for s in _subscriptions.values() if s.phase == sub.phase and s.order == order and s.name != name]
    if clash:
        raise ValueError(f"reaction order {order} in phase {sub.phase} is taken by {clash[0].name}")
    _subscriptions[name] = sub
    return sub


def unsubscribe(name: str) -> None:
    _subscriptions.pop(name, None)


def subscriptions(phase: Phase | None = None) -> list[Subscription]:
    """In running order: phase (in transaction, after commit, task), then order."""
    phases = list(Phase)
    subs = [s for s in _subscriptions.values() if phase is None or s.phase == phase]
    return sorted(subs, key=lambda s: (phases.index(s.phase), s.order))


def subscription(name: str) -> Subscription | None:
    return _subscriptions.get(name)


def describe() -> list[str]:
    """One line per subscription, in running order (for `kefu reactions` and the docs)."""
    return [
        f"{s.phase:<14} {s.order:>4}  {s.name:<34} {', '.join(t.__name__ for t in s.facts)}"
        + ("  (once per ticket)" if s.once_per_ticket else "")
        for s in subscriptions()
    ]


# --- publishing ------------------------------------------------------------------------------------


class ReactionFailed(DomainError):
    """An in-transaction reaction failed: the change was rolled back."""

    status = 503

    def __init__(self, *, reaction: str, number: str) -> None:
        super().__init__(
            code="reaction_failed",
            message=_("The change to %(number)s was not saved because %(reaction)s failed. Please try again.")
            % {"number": number, "reaction": reaction},
        )
        self.reaction = reaction


class _Scope(threading.local):
    def __init__(self) -> None:
        self.depth = 0
        self.pending: list[TicketFact] = []
        self.flushing = False  # in-transaction reactions of a batch are running
        self.joined = 0  # inside ticket_transaction(): services join the caller's transaction
        self.changed: set[int] = set()  # tickets that reactions changed through ticket services
        self.facts: dict[int, list[TicketFact]] = {}  # the running batch's facts per ticket


_scope = _Scope()


@contextmanager
def collect() -> Iterator[None]:
    """Hold facts published inside until the outermost scope ends, then run their reactions (still
    inside the caller's transaction). On an exception the facts of this scope are dropped. A
    ticket service that a reaction calls adds its facts to the batch being run."""
    start = len(_scope.pending)
    _scope.depth += 1
    try:
        yield
    except BaseException:
        del _scope.pending[start:]
        raise
    finally:
        _scope.depth -= 1
    if _scope.depth == 0 and not _scope.flushing:
        _flush()


def batch_facts(ticket_id: int) -> list[TicketFact]:
    """Every fact of the running batch about one ticket, in order (for once-per-ticket reactions,
    which get the last one: was the ticket created in this batch?)."""
    return list(_scope.facts.get(ticket_id, ()))


def live_row(number: str) -> Ticket | None:
    """While the in-transaction reactions of a batch run: the row of a ticket that this batch
    created, as the creating service holds it (a new row is invisible to others and current), so a
    reaction's ticket service changes that very object instead of reading the ticket again. None
    for every other ticket (those are read again, locked)."""
    if not _scope.flushing:
        return None
    for facts in _scope.facts.values():
        fact = facts[0]
        if isinstance(fact, TicketCreated) and fact.instance is not None and fact.instance.number == number:
            return fact.instance
    return None


def _is_live(fact: TicketFact) -> bool:
    facts = _scope.facts.get(fact.ticket_id) or []
    return bool(facts) and isinstance(facts[0], TicketCreated) and facts[0].instance is fact.instance


def changed_by_reactions() -> set[int]:
    """Ids of the tickets that the reactions of the last batch changed through ticket services of
    their own (dispatch assigning a new ticket): the caller's row is stale."""
    return _scope.changed


@contextmanager
def ticket_change() -> Iterator[None]:
    """The transaction of one ticket service, with its facts collected: `with ticket_change(): ...`.
    A ticket service called by another one (or by a reaction) joins its transaction without a
    savepoint: a refusal fails the caller as a whole (a reaction that carries on after a refusal,
    like dispatch, opens its own savepoint)."""
    nested = _scope.depth > 0 or _scope.flushing or _scope.joined > 0
    with tokens.kept(), transaction.atomic(savepoint=not nested), collect():
        yield


@contextmanager
def ticket_transaction() -> Iterator[None]:
    """A caller's own transaction around ticket services (the API matching or creating the
    customer before the ticket): the services inside join it without savepoints of their own, so a
    refusal or a failed reaction fails the whole block. Reactions still run when each service ends."""
    with transaction.atomic():
        _scope.joined += 1
        try:
            yield
        finally:
            _scope.joined -= 1


def publish(*facts: TicketFact) -> None:
    """Record what happened. Inside a scope the reactions run when it ends; outside one, now."""
    if _scope.flushing:
        # A reaction changed a ticket through a service: the caller's row is stale, unless the
        # service changed the batch's live row itself (live_row).
        _scope.changed.update(f.ticket_id for f in facts if f.instance is None or not _is_live(f))
    _scope.pending.extend(facts)
    if _scope.depth == 0 and not _scope.flushing:
        with transaction.atomic(savepoint=False):
            _flush()


def _call(sub: Subscription, fact: TicketFact) -> None:
    try:
        sub.handler(fact)
    except DomainError:
        raise
    except Exception as exc:
        if gone(exc):
            raise  # the connection is lost, not the reaction at fault: the request may be run again
        logger.exception("reaction %s failed on %s; the change is rolled back", sub.name, fact.ticket.number)
        raise ReactionFailed(reaction=sub.name, number=fact.ticket.number) from exc


def _flush() -> None:
    """Run the pending facts' reactions. In rounds: the in-transaction reactions of the facts so far,
    in order; facts that those reactions publish (through ticket services) make the next round.
    Once-per-ticket reactions (SLA) run after the rounds settle, once per ticket with its last fact,
    so they see the ticket as the batch leaves it. After-commit and task reactions are registered
    for every fact of the batch."""
    _scope.flushing = True
    _scope.changed = set()
    done: list[TicketFact] = []
    try:
        while _scope.pending:
            settled: list[TicketFact] = []
            while _scope.pending:
                batch, _scope.pending = _scope.pending, []
                settled += batch
                for fact in batch:
                    _scope.facts.setdefault(fact.ticket_id, []).append(fact)
                for sub in subscriptions(Phase.IN_TRANSACTION):
                    if not sub.once_per_ticket:
                        for fact in _select(sub, batch):
                            _call(sub, fact)
            for sub in subscriptions(Phase.IN_TRANSACTION):
                if sub.once_per_ticket:
                    for fact in _select(sub, settled):
                        _call(sub, fact)
            done += settled
    except BaseException:
        _scope.pending = []
        raise
    finally:
        _scope.flushing = False
        _scope.facts = {}
    later = [(sub, fact) for sub in subscriptions() if sub.phase != Phase.IN_TRANSACTION for fact in _select(sub, done)]
    if later:
        transaction.on_commit(lambda: _after_commit(later))


def _select(sub: Subscription, batch: list[TicketFact]) -> list[TicketFact]:
    """The facts of a batch that `sub` runs for: all matching ones, or for a once-per-ticket
    subscription the last matching fact of each ticket (in the order the tickets first appear)."""
    matching = [fact for fact in batch if sub.matches(fact)]
    if not sub.once_per_ticket:
        return matching
    last: dict[int, TicketFact] = {}
    for fact in matching:
        last[fact.ticket_id] = fact
    return list(last.values())


def _after_commit(work: list[tuple[Subscription, TicketFact]]) -> None:
    for sub, fact in work:
        try:
            if sub.phase == Phase.TASK:
                _enqueue(sub, fact)
            else:
                sub.handler(fact)
        except Exception as exc:
            logger.exception("reaction %s failed on %s; stored for retry", sub.name, fact.ticket.number)
            if connection_lost(exc):
                # The server dropped the connection: open a new one to store the failure and for
                # the reactions after this one (and the rest of the request).
                connection.close()
            failure_record(sub=sub, fact=fact, error=exc)


def _enqueue(sub: Subscription, fact: TicketFact) -> None:
    reaction_task.enqueue(name=sub.name, fact=fact_to_json(fact))


@task()
def reaction_task(*, name: str, fact: dict[str, Any]) -> None:
    """Body of the reaction task: run one TASK-phase reaction; a failure is stored for retry."""
    sub = subscription(name)
    decoded = fact_from_json(fact)
    if sub is None:
        logger.error("reaction task %s: no such subscription (ticket %s)", name, decoded.ticket.number)
        return
    try:
        sub.handler(decoded)
    except Exception as exc:
        logger.exception("reaction %s failed on %s; stored for retry", name, decoded.ticket.number)
        failure_record(sub=sub, fact=decoded, error=exc)


# --- failures and retries --------------------------------------------------------------------------

MAX_ATTEMPTS = 8


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def failure_record(*, sub: Subscription, fact: TicketFact, error: BaseException) -> None:
    """Store a failed after-commit or task reaction; the clock retries it. Never raises."""
    try:
        now = timezone.now()
        ReactionFailure.objects.create(
            reaction=sub.name, ticket_id=fact.ticket_id, ticket_number=fact.ticket.number,
            fact=fact_to_json(fact), error=f"{type(error).__name__}: {error}"[:2000], attempts=1,
            failed_at=now, next_attempt_at=now + _backoff(1),
        )
    except Exception:
        logger.exception("reaction %s on %s: the failure could not be stored", sub.name, fact.ticket.number)


def failure_retry(*, failure_id: int, due_at: datetime | None = None, now: datetime | None = None) -> bool:
    """Run a stored failure again (the clock, the admin action, `kefu reactions --retry`). Claimed
    with a conditional UPDATE when `due_at` is given, so two clocks never run it twice. Returns
    whether the reaction succeeded this time."""
    now = now or timezone.now()
    row = ReactionFailure.objects.filter(pk=failure_id, resolved_at__isnull=True).first()
    if row is None:
        return False
    if due_at is not None:
        claim = now + _backoff(row.attempts + 1)
        if ReactionFailure.objects.filter(pk=row.pk, next_attempt_at=due_at).update(next_attempt_at=claim) != 1:
            return False
    sub = subscription(row.reaction)
    try:
        if sub is None:
            raise LookupError(f"no reaction named {row.reaction}")
        fact = fact_from_json(row.fact)
        with transaction.atomic():
            sub.handler(fact)
    except Exception as exc:
        row.attempts += 1
        row.error = f"{type(exc).__name__}: {exc}"[:2000]
        row.next_attempt_at = now + _backoff(row.attempts) if row.attempts < MAX_ATTEMPTS else None
        row.save(update_fields=["attempts", "error", "next_attempt_at"])
        logger.warning("reaction %s on %s failed again (attempt %s)", row.reaction, row.ticket_number, row.attempts)
        return False
    row.resolved_at = now
    row.next_attempt_at = None
    row.save(update_fields=["resolved_at", "next_attempt_at"])
    return True

