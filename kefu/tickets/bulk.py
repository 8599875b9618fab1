"""Bulk import of ticket history from an old system (migration), in batches.

`ticket_create` is one ticket per transaction with a row lock on the day's number sequence; that is
right for intake and far too slow for a migration of millions of rows. This service builds the rows
in memory and writes each batch with COPY on PostgreSQL (bulk_create elsewhere), but computes everything the way `ticket_create`
does: numbers GD<yyyymmdd>-<seq> from TicketNumberSequence, `search_text` from
kefu.core.text (title and description as one text, message bodies merged in as
`ticket_add_message` does), a `created` event per ticket and a timeline event per message.

Customers are matched by phone (the import's identity) and created, with the phone, when unknown.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import JSONField, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.core.errors import DomainError
from kefu.core.text import index_text, index_tokens
from kefu.customers.models import Customer, CustomerPhone
from kefu.customers.services import default_tier, normalize_phone
from kefu.tickets.choices import (
    PRIORITY_RANK,
    Channel,
    EventKind,
    MessageKind,
    Priority,
    TicketKind,
    TicketStatus,
)
from kefu.tickets.models import Ticket, TicketEvent, TicketMessage, TicketNumberSequence
from kefu.tickets.services import NUMBER_PREFIX

DONE_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
# Choices' .values builds a new list on every access; validation runs per row.
_KINDS, _CHANNELS = frozenset(TicketKind.values), frozenset(Channel.values)
_PRIORITIES, _STATUSES, _MESSAGE_KINDS = frozenset(Priority.values), frozenset(TicketStatus.values), frozenset(MessageKind.values)


@dataclass
class ImportMessage:
    """A reply or note of the old system. `from_customer` marks the customer's own replies."""

    kind: str
    body: str
    created_at: datetime
    author_id: int | None = None
    from_customer: bool = False


@dataclass
class ImportTicket:
    """One ticket of the old system. Ids (team, assignee, owner) refer to rows that already exist."""

    title: str
    created_at: datetime
    description: str = ""
    kind: str = TicketKind.INQUIRY
    channel: str = Channel.PHONE
    priority: str = Priority.NORMAL
    status: str = TicketStatus.NEW
    updated_at: datetime | None = None
    customer_name: str = ""
    customer_phone: str = ""
    team_id: int | None = None
    assignee_id: int | None = None
    owner_id: int | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    messages: list[ImportMessage] = field(default_factory=list)


@dataclass
class BulkImportResult:
    tickets: int = 0
    messages: int = 0
    events: int = 0
    customers_created: int = 0
    first_number: str = ""
    last_number: str = ""
    segmented: int = 0  # texts run through jieba (the rest came from the cache)
    seconds_segmenting: float = 0.0  # waiting for jieba (the pool overlaps it with writing)
    seconds_writing: float = 0.0


# --- segmentation ------------------------------------------------------------------------------------


class _Segmenter:
    """index_text with a cache of identical texts (history is full of template texts) and, for the
    rest, a process pool: jieba is pure Python and holds the GIL, so threads would not help."""

    def __init__(self, processes: int, cache_size: int = 200_000) -> None:
        self.cache: dict[str, tuple[str, ...]] = {}
        self.cache_size = cache_size
        self.pool = None
        self.segmented = 0
        self.pending: set[str] = set()
        if processes > 1:
            index_text("")  # load the dictionary once, before the fork, so workers share it
            self.pool = multiprocessing.get_context("fork").Pool(processes)

    def start(self, texts: list[str]) -> tuple[list[str], list[str], Any]:
        """Submit the texts not cached yet (nor already submitted) to the pool; returns a handle for
        finish(). With a pool this runs while the caller writes the previous batch."""
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache and t not in self.pending))
        self.pending.update(todo)
        if self.pool is not None and len(todo) > 200:
            return texts, todo, self.pool.map_async(_tokens_of, todo, chunksize=max(1, len(todo) // 64))
        return texts, todo, [_tokens_of(t) for t in todo]

    def finish(self, handle: tuple[list[str], list[str], Any]) -> dict[str, tuple[str, ...]]:
        texts, todo, results = handle
        results = results if isinstance(results, list) else results.get()
        self.segmented += len(todo)
        self.pending.difference_update(todo)
        if len(self.cache) + len(todo) > self.cache_size:
            self.cache.clear()
        self.cache.update(zip(todo, results, strict=True))
        # A text skipped at start() because it was cached may have been evicted since: redo it here.
        return {t: self.cache[t] if t in self.cache else _tokens_of(t) for t in texts}

    def tokens(self, texts: list[str]) -> dict[str, tuple[str, ...]]:
        return self.finish(self.start(texts))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()


def _tokens_of(text: str) -> tuple[str, ...]:
    return tuple(index_tokens(text))


def _main_text(row: ImportTicket) -> str:
    # Exactly what ticket_create indexes: index_text(title, description).
    return " ".join(p for p in (row.title, row.description) if p)


def _search_text(main: tuple[str, ...], bodies: list[tuple[str, ...]]) -> str:
    # As ticket_add_message's _merged_tokens: earlier tokens first, each token once.
    tokens = dict.fromkeys(main)
    for toks in bodies:
        for tok in toks:
            tokens.setdefault(tok)
    return " ".join(tokens)


# --- numbers -----------------------------------------------------------------------------------------


def _reserve_numbers(day: date, count: int) -> int:
    """Reserve `count` numbers of `day`; returns the first sequence value.

    The same row ticket_number_next bumps, bumped by `count` in one upsert: it takes the row lock
    until the batch commits, so concurrent ticket_create calls continue after the imported numbers
    and never reuse one. Works on PostgreSQL and SQLite (3.35+: ON CONFLICT ... RETURNING)."""
    table = connection.ops.quote_name(TicketNumberSequence._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, %s) "  # noqa: S608 (table name is ours)
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + EXCLUDED.last RETURNING last",
            [day.isoformat(), count],
        )
        last = int(cur.fetchone()[0])
    if last > 999_999:
        raise DomainError(code="number_overflow", message=_("More than 999,999 tickets on %(day)s.") % {"day": day})
    return last - count + 1


# --- the service -------------------------------------------------------------------------------------


def _batches(rows: Iterable[ImportTicket], size: int) -> Iterator[list[ImportTicket]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def _validate(row: ImportTicket, index: int) -> None:
    problems = []
    if not row.title.strip():
        problems.append("title")
    if row.kind not in _KINDS:
        problems.append("kind")
    if row.channel not in _CHANNELS:
        problems.append("channel")
    if row.priority not in _PRIORITIES:
        problems.append("priority")
    if row.status not in _STATUSES:
        problems.append("status")
    if timezone.is_naive(row.created_at):
        problems.append("created_at")
    if any(m.kind not in _MESSAGE_KINDS or not m.body.strip() for m in row.messages):
        problems.append("messages")
    if problems:
        raise DomainError(
            code="import_invalid_row",
            message=_("Row %(index)s is invalid: %(fields)s") % {"index": index, "fields": ", ".join(problems)},
            fields={p: [_("Invalid.")] for p in problems},
        )


def tickets_bulk_import(
    *,
    actor: User | None,
    rows: Iterable[ImportTicket],
    batch_size: int = 5000,
    processes: int = 1,
) -> BulkImportResult:
    """Import history tickets (with their messages and customers) in batches of `batch_size`.

    Each batch is one transaction: numbers reserved from TicketNumberSequence (row lock per day,
    held to commit), customers matched by phone or created, tickets, messages and events written
    with COPY (PostgreSQL) or bulk_create. A failing batch rolls back alone; earlier batches stay (the result says how
    many went in). Within a batch numbers follow created_at. `processes` > 1 segments Chinese text
    in a process pool. No notifications are sent and no side effects are scheduled: this is history.
    Validation errors raise DomainError(code="import_invalid_row") before the batch writes anything.
    """
    result = BulkImportResult()
    teams = dict(Team.objects.values_list("id", "name"))
    usernames = dict(User.objects.values_list("id", "username"))
    tier = default_tier()
    segmenter = _Segmenter(processes)

    def write(batch: list[ImportTicket], handle: tuple[list[str], list[str], Any]) -> None:
        started = time.perf_counter()
        cache = segmenter.finish(handle)  # waits only if the pool is behind the writer
        result.seconds_segmenting += time.perf_counter() - started
        started = time.perf_counter()
        with transaction.atomic():
            _write_batch(
                batch=batch, actor=actor, cache=cache, teams=teams, usernames=usernames, tier_id=tier.pk if tier else None,
                result=result,
            )
        result.seconds_writing += time.perf_counter() - started

    # A pipeline of two: batch n+1 is segmented in the pool while batch n is written.
    pending: tuple[list[ImportTicket], tuple[list[str], list[str], Any]] | None = None
    offset = 0
    try:
        for batch in _batches(rows, batch_size):
            try:
                for i, row in enumerate(batch):
                    _validate(row, offset + i)
            except DomainError:
                if pending is not None:
                    write(*pending)  # the batches before the bad one go in, as documented
                raise
            offset += len(batch)
            batch.sort(key=lambda r: r.created_at)
            handle = segmenter.start([_main_text(r) for r in batch] + [m.body for r in batch for m in r.messages])
            if pending is not None:
                write(*pending)
            pending = (batch, handle)
        if pending is not None:
            write(*pending)
    finally:
        segmenter.close()
        result.segmented = segmenter.segmented
    return result


def _customers_for(batch: list[ImportTicket], tier_id: int | None, result: BulkImportResult) -> dict[str, int]:
    """customer id by normalized phone: existing customers matched, unknown ones created."""
    names: dict[str, str] = {}
    for row in batch:
        if row.customer_phone:
            number = normalize_phone(row.customer_phone)
            if not names.get(number):  # the first row that has a name names the customer
                names[number] = row.customer_name
    if not names:
        return {}
    found: dict[str, int] = {}
    for number, customer_id in (
        CustomerPhone.objects.filter(number__in=list(names)).order_by("-id").values_list("number", "customer_id")
    ):
        found[number] = customer_id  # ordered by -id: the oldest customer wins, as customer_find does
    missing = [n for n in names if n not in found]
    if missing:
        ids = _insert(Customer, [{"name": (names[n].strip() or n)[:100], "tier_id": tier_id} for n in missing])
        _insert(
            CustomerPhone,
            [{"customer_id": c, "number": n, "is_primary": True} for n, c in zip(missing, ids, strict=True)],
            returning=False,
        )
        found.update(zip(missing, ids, strict=True))
        result.customers_created += len(missing)
    return found


# --- writing -----------------------------------------------------------------------------------------


def _complete(model: type[Model], row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Fill the fields a row leaves out the way Model() + save() would: defaults, auto_now(_add), NULL."""
    for f in model._meta.concrete_fields:
        if f.attname in row or f.primary_key:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            row[f.attname] = now
        else:
            row[f.attname] = f.get_default()  # the default, "" for text, else None
    return row


def _insert(model: type[Model], rows: list[dict[str, Any]], *, returning: bool = True) -> list[int]:
    """Insert rows (dicts of attname -> value); returns their ids in order.

    PostgreSQL: ids are drawn from the table's identity sequence first, then the rows go in with
    COPY (psycopg), several times faster than INSERT and without building model instances.
    Elsewhere (SQLite): bulk_create, which returns the ids."""
    if not rows:
        return []
    now = timezone.now()
    rows = [_complete(model, r, now) for r in rows]
    if connection.vendor != "postgresql":
        objs = model._default_manager.bulk_create([model(**r) for r in rows])
        return [o.pk for o in objs]
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    pk = model._meta.pk
    json_cols = {f.attname for f in fields if isinstance(f, JSONField)}
    with connection.cursor() as cur:
        ids: list[int] = []
        if returning:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk.column, len(rows)],
            )
            ids = [r[0] for r in cur.fetchall()]
        columns = ([str(pk.column)] if returning else []) + [str(f.column) for f in fields]
        sql = f"COPY {connection.ops.quote_name(table)} ({', '.join(connection.ops.quote_name(c) for c in columns)}) FROM STDIN"
        attnames = [f.attname for f in fields]
        with cur.cursor.copy(sql) as copy:
            for i, r in enumerate(rows):
                values = [json.dumps(r[a], ensure_ascii=False) if a in json_cols else r[a] for a in attnames]
                copy.write_row(([ids[i]] if returning else []) + values)
    return ids


def _write_batch(
    *,
    batch: list[ImportTicket],
    actor: User | None,
    cache: dict[str, tuple[str, ...]],
    teams: dict[int, str],
    usernames: dict[int, str],
    tier_id: int | None,
    result: BulkImportResult,
) -> None:
    per_day: dict[date, list[ImportTicket]] = defaultdict(list)
    for row in batch:
        per_day[timezone.localdate(row.created_at)].append(row)
    numbers: dict[int, str] = {}
    for day, day_rows in per_day.items():
        first = _reserve_numbers(day, len(day_rows))
        for seq, row in enumerate(day_rows, start=first):
            numbers[id(row)] = f"{NUMBER_PREFIX}{day:%Y%m%d}-{seq:06d}"
    customers = _customers_for(batch, tier_id, result)
    actor_id = actor.pk if actor else None

    tickets: list[dict[str, Any]] = []
    for row in batch:
        phone = normalize_phone(row.customer_phone) if row.customer_phone else ""
        updated_at = row.updated_at or row.created_at
        tickets.append(
            {
                "number": numbers[id(row)],
                "title": row.title.strip()[:200],
                "description": row.description,
                "kind": str(row.kind),
                "channel": str(row.channel),
                "priority": str(row.priority),
                "priority_rank": PRIORITY_RANK[Priority(row.priority)],
                "status": str(row.status),
                "customer_id": customers.get(phone),
                "contact_phone": phone,
                "owner_id": row.owner_id,
                "assignee_id": row.assignee_id,
                "team_id": row.team_id,
                "created_by_id": actor_id,
                "search_text": _search_text(cache[_main_text(row)], [cache[m.body] for m in row.messages]),
                "created_at": row.created_at,
                "updated_at": updated_at,
                "first_response_at": row.first_response_at,
                "resolved_at": row.resolved_at,
                "closed_at": row.closed_at,
                # As _apply_status: a resolved ticket closes itself later (the clock picks it up).
                "auto_close_due_at": (
                    (row.resolved_at or updated_at) + timedelta(days=settings.KEFU_AUTO_CLOSE_DAYS)
                    if row.status == TicketStatus.RESOLVED
                    else None
                ),
            }
        )
    ticket_ids = _insert(Ticket, tickets)

    messages: list[dict[str, Any]] = []
    for row, ticket_id in zip(batch, ticket_ids, strict=True):
        messages.extend(
            {
                "ticket_id": ticket_id, "kind": str(m.kind), "author_id": m.author_id,
                "from_customer": m.from_customer, "body": m.body, "created_at": m.created_at,
            }
            for m in row.messages
        )
    message_ids = iter(_insert(TicketMessage, messages))

    events: list[dict[str, Any]] = []
    for row, ticket_id in zip(batch, ticket_ids, strict=True):
        events.append(
            _event(ticket_id, EventKind.CREATED, actor_id, row.created_at, channel=str(row.channel),
                   priority=str(row.priority), team=teams.get(row.team_id) if row.team_id else None, imported=True)
        )
        if row.assignee_id:
            events.append(_event(ticket_id, EventKind.ASSIGNED, actor_id, row.created_at, to=usernames.get(row.assignee_id)))
        for m in row.messages:
            kind = (
                EventKind.CUSTOMER_REPLIED if m.from_customer
                else EventKind.REPLIED if m.kind == MessageKind.REPLY else EventKind.NOTED
            )
            events.append(
                _event(ticket_id, kind, None if m.from_customer else m.author_id, m.created_at,
                       by_customer=m.from_customer, message_id=next(message_ids))
            )
        if row.status in DONE_STATUSES:
            done_at = (row.closed_at if row.status == TicketStatus.CLOSED else row.resolved_at) or row.updated_at
            events.append(
                _event(ticket_id, EventKind.STATUS_CHANGED, actor_id, done_at or row.created_at, to=str(row.status),
                       imported=True)
            )
    _insert(TicketEvent, events, returning=False)

    result.tickets += len(tickets)
    result.messages += len(messages)
    result.events += len(events)
    result.first_number = result.first_number or tickets[0]["number"]
    result.last_number = tickets[-1]["number"]


def _event(ticket_id: int, kind: EventKind, actor_id: int | None, at: datetime, by_customer: bool = False,
           **data: Any) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id, "kind": kind.value, "actor_id": actor_id, "by_customer": by_customer, "data": data,
        "created_at": at,
    }
