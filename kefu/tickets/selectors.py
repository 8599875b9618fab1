"""Reads of tickets. Visibility is built in: every list starts from tickets_visible_to(user)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.db import connection
from django.db.models import BooleanField, Count, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from kefu.accounts.models import User
from kefu.core.pagination import Page, keyset_page
from kefu.core.text import is_single_cjk, query_tokens
from kefu.customers.models import Customer, CustomerPhone
from kefu.tickets.access import tickets_visible_to, visible_tickets_q
from kefu.tickets.choices import OPEN_STATUSES, MessageKind
from kefu.tickets.models import Category, Ticket, TicketAttachment, TicketEvent, TicketMessage, TicketTransfer
from kefu.tickets.panels import TimelineItem, annotate_list, list_filter_q, timeline_items

NUMBER_RE = re.compile(r"^GD\d{8}-\d{6}$", re.IGNORECASE)
PHONE_RE = re.compile(r"^\+?[\d\s\-]{5,24}$")

SORTS = {
    "-updated_at": ("-updated_at", "-id"),
    "updated_at": ("updated_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
}


@dataclass
class TicketFilter:
    scope: str = "all"  # all | mine | team | owned | owned_elsewhere | unassigned
    status: list[str] = field(default_factory=list)
    open_only: bool = False
    priority: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    team_id: int | None = None
    assignee_id: int | None = None
    category_id: int | None = None
    customer_id: int | None = None
    q: str = ""
    created_from: datetime | None = None
    created_to: datetime | None = None
    sort: str = "-updated_at"
    sla: str = ""  # "" | at_risk | breached: the list filter the SLA app registers (kefu.tickets.panels)


def _list_base() -> QuerySet[Ticket]:
    return Ticket.objects.select_related("customer", "customer__tier", "assignee", "owner", "team", "category").only(
        "id", "number", "title", "kind", "channel", "priority", "priority_rank", "status", "created_at", "updated_at",
        "transfer_count", "first_response_at", "resolved_at", "closed_at", "description", "contact_phone",
        "team_id", "assignee_id", "owner_id", "customer_id", "category_id",
        # contact_view() reads these to mask the customer's contacts per viewer.
        "customer__name", "customer__is_vip", "customer__email", "customer__id_number", "customer__wechat_id",
        "customer__tier__name", "customer__tier__rank",
        "assignee__username", "assignee__display_name", "assignee__first_name", "assignee__last_name",
        "owner__username", "owner__display_name", "owner__first_name", "owner__last_name",
        "team__name", "category__name",
    )


def ticket_filter_qs(*, user: User, f: TicketFilter) -> QuerySet[Ticket]:
    qs = _list_base().filter(visible_tickets_q(user))
    if f.scope == "mine":
        qs = qs.filter(assignee_id=user.pk)
    elif f.scope == "team":
        qs = qs.filter(team_id=user.team_id) if user.team_id else qs.none()
    elif f.scope == "owned":
        qs = qs.filter(owner_id=user.pk)
    elif f.scope == "owned_elsewhere":
        qs = qs.filter(owner_id=user.pk).exclude(assignee_id=user.pk)
    elif f.scope == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    if f.open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if f.status:
        qs = qs.filter(status__in=f.status)
    if f.priority:
        qs = qs.filter(priority__in=f.priority)
    if f.kind:
        qs = qs.filter(kind__in=f.kind)
    if f.channel:
        qs = qs.filter(channel__in=f.channel)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.assignee_id:
        qs = qs.filter(assignee_id=f.assignee_id)
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.category_id:
        cat = Category.objects.filter(pk=f.category_id).only("path").first()
        qs = qs.filter(category__path__startswith=cat.path) if cat else qs.none()
    if f.created_from:
        qs = qs.filter(created_at__gte=f.created_from)
    if f.created_to:
        qs = qs.filter(created_at__lt=f.created_to)
    if f.q.strip():
        qs = qs.filter(search_q(f.q))
    if f.sla and (sla_q := list_filter_q("sla", f.sla)) is not None:
        qs = qs.filter(sla_q)
    return qs


def ticket_list_visible_to(*, user: User, f: TicketFilter, cursor: str | None = None, limit: int = 25) -> Page:
    """One page of the tickets `user` may see, filtered and keyset-paginated, each ticket carrying its
    SLA targets (`sla_badge`, `sla_targets_view`) through the registered list annotators. Three
    queries whatever the page depth: the page, the page's SLA rows, the SLA configuration token."""
    ordering = SORTS.get(f.sort, SORTS["-updated_at"])
    page = keyset_page(ticket_filter_qs(user=user, f=f), ordering=ordering, cursor=cursor, limit=max(1, min(limit, 100)))
    annotate_list(page.items)
    return page


# --- search ----------------------------------------------------------------------------------------


MAX_SEARCH_CUSTOMERS = 50  # a name or phone shared by more customers than this is no useful search


# PostgreSQL plans for a word query. The GIN index answers "which tickets hold these words" well,
# but a page is the *newest* matches, and the planner has no good estimate for an AND of bigrams
# (it multiplies their frequencies: 夜间 & 间客 & 客服 looks 100x rarer than it is). So the plan is
# chosen here from the index's own statistics (pg_stats of the expression index, ANALYZE):
# - few matches (at most PROBE_LIMIT): their ids are read through the GIN index first (one bounded
#   query), and the ticket query is `id = ANY(ids)`: a few primary-key lookups and a sort;
# - many matches (at least SCAN_MIN expected, or the probe found more than PROBE_LIMIT): the words
#   are tested with strpos on each row while walking the updated_at index (about 1 µs a row, against
#   15 µs for building the row's tsvector): the page fills after a few thousand rows.
# An estimate for several tokens is a guess (separate words multiply as if independent; a phrase
# counts as its rarest bigram): two words each in 20% of the tickets that never meet would be
# walked through the whole table, and two frequent words that always meet (宽带 上网) would be
# probed until the probe overflows (~40 ms at 1M: their GIN posting lists are long). So for a walk,
# or a probe of listed (frequent) tokens that leave room for more than PROBE_LIMIT matches, the
# newest CHECK_ROWS tickets are walked first (a bounded query that stops at CHECK_MATCHES matches:
# ~0.2 ms when the words often meet): enough matches there, and the page will fill quickly, so
# walk; fewer, and the probe decides (few: ids; more than PROBE_LIMIT: the walk). A token below
# the listed ones has a short posting list: probing it is cheap, even when it overflows.
# All forms select exactly the tickets whose space-separated tokens include every query token.
PROBE_LIMIT = 2000
SCAN_MIN = 5 * PROBE_LIMIT
CHECK_ROWS = 2000  # ~3 ms when the words never meet (1M tickets), ~0.2 ms when they often do
CHECK_MATCHES = 4  # 1 ticket in 500: at least PROBE_LIMIT matches per 1M tickets
_CJK_BIGRAM = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2}")
STATS_TTL = 300.0  # seconds


@dataclass(frozen=True)
class TermStats:
    """Share of tickets holding each frequent token (pg_stats of the ticket_search_gin index), the
    share below which a token is not listed, and the number of tickets."""

    freq: dict[str, float]
    floor: float
    rows: float


_stats_cache: dict[str, tuple[float, TermStats | None]] = {}


def ticket_term_stats() -> TermStats | None:
    """The index's token statistics on PostgreSQL (cached per process), None before ANALYZE or elsewhere."""
    if connection.vendor != "postgresql":
        return None
    key = str(connection.settings_dict.get("NAME"))
    hit = _stats_cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < STATS_TTL:
        return hit[1]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
            "FROM pg_stats s JOIN pg_class c ON c.relname = 'tickets_ticket' "
            "AND c.relnamespace = to_regnamespace(s.schemaname) "
            "WHERE s.schemaname = current_schema() AND s.tablename = 'ticket_search_gin'"
        )
        row = cur.fetchone()
    stats = None
    if row and row[0] and row[1] and row[2] and row[2] > 0:
        elems, freqs, rows = row
        stats = TermStats(freq=dict(zip(elems, freqs, strict=False)), floor=float(freqs[len(elems)]), rows=float(rows))
    _stats_cache[key] = (now, stats)
    return stats


def _pg_quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def _gin_sql(tokens: tuple[str, ...], table: str = '"tickets_ticket"') -> tuple[str, list[str]]:
    # The exact expression of the ticket_search_gin index (migration 0002).
    return (f"(array_to_tsvector(string_to_array({table}.\"search_text\", ' ')) @@ %s::tsquery)",
            [" & ".join(_pg_quote(t) for t in tokens)])


def pg_fulltext_plan(tokens: tuple[str, ...], stats: TermStats | None) -> str:
    """"gin" (no statistics: let the planner use the index as it likes), "scan" (surely more than
    SCAN_MIN matches) or "probe" (fewer, or not sure)."""
    if stats is None:
        return "gin"
    # A token missing from the statistics is rarer than the listed ones (PostgreSQL takes half the
    # floor too). The bigrams of one Chinese phrase come together (夜间 间客 客服): the rarest bounds
    # the phrase. Separate words multiply, as if independent.
    estimate = stats.rows
    phrase = 1.0
    prev = ""
    for t in tokens:
        f = stats.freq.get(t, stats.floor / 2)
        if prev and len(prev) == 2 == len(t) and prev[1] == t[0] and _CJK_BIGRAM.fullmatch(t):
            phrase = min(phrase, f)
        else:
            estimate *= phrase
            phrase = f
        prev = t
    estimate *= phrase
    return "scan" if estimate >= SCAN_MIN else "probe"


def _strpos_sql(tokens: tuple[str, ...]) -> tuple[str, list[str]]:
    # One expression, so the planner counts it as one condition (a third of the rows) and walks
    # the order's index; a separate condition per word would look too selective.
    parts = ", ".join(["strpos(' ' || \"tickets_ticket\".\"search_text\" || ' ', %s)"] * len(tokens))
    expr = f"(LEAST({parts}) > 0)" if len(tokens) > 1 else f"({parts} > 0)"
    return expr, [f" {t} " for t in tokens]


def _recent_matches(tokens: tuple[str, ...], *, enough: int, rows: int = CHECK_ROWS) -> int:
    """How many of the newest `rows` tickets hold every token, counting up to `enough` (the walk of
    the updated_at index stops there)."""
    expr, params = _strpos_sql(tokens)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM (SELECT 1 FROM (SELECT search_text FROM tickets_ticket "
            "ORDER BY updated_at DESC, id DESC LIMIT %s) AS tickets_ticket "
            f"WHERE {expr} LIMIT %s) AS found",
            [rows, *params, enough],
        )
        return int(cur.fetchone()[0])


def pg_fulltext_choice(tokens: tuple[str, ...], stats: TermStats | None, *, probe_limit: int = PROBE_LIMIT,
                       check_matches: int = CHECK_MATCHES) -> tuple[str, list[int]]:
    """The plan for a word query on PostgreSQL, after at most two bounded queries: ("ids", the
    matching ids), ("scan", []) or ("gin", []). `probe_limit` and `check_matches` (0: trust the
    estimate) are for tests."""
    plan = pg_fulltext_plan(tokens, stats)
    if stats is not None and len(tokens) > 1 and check_matches and (plan == "scan" or (
            all(t in stats.freq for t in tokens) and stats.rows * min(stats.freq[t] for t in tokens) > probe_limit)):
        # The estimate is a guess: measure how often the words meet in the newest tickets.
        plan = "scan" if _recent_matches(tokens, enough=check_matches) >= check_matches else "probe"
    if plan == "probe":
        sql, params = _gin_sql(tokens, "tickets_ticket")
        with connection.cursor() as cur:
            cur.execute(f"SELECT id FROM tickets_ticket WHERE {sql} LIMIT %s", [*params, probe_limit + 1])
            ids = [r[0] for r in cur.fetchall()]
        if len(ids) <= probe_limit:
            return "ids", ids
        plan = "scan"
    return plan, []


def _pg_fulltext_q(tokens: tuple[str, ...], stats: TermStats | None, *, probe_limit: int = PROBE_LIMIT,
                   check_matches: int = CHECK_MATCHES) -> Q:
    plan, ids = pg_fulltext_choice(tokens, stats, probe_limit=probe_limit, check_matches=check_matches)
    if plan == "ids":
        return Q(RawSQL('("tickets_ticket"."id" = ANY(%s))', [ids], output_field=BooleanField())) if ids else Q(pk__in=[])
    if plan == "scan":
        expr, params = _strpos_sql(tokens)
        return Q(RawSQL(expr, params, output_field=BooleanField()))
    sql, params = _gin_sql(tokens)
    # Written in the WHERE clause itself rather than as `pk IN (subquery)`, so the planner can
    # combine it with other indexes in a BitmapOr.
    return Q(RawSQL(sql, params, output_field=BooleanField()))


def fulltext_q(text: str, *, stats: TermStats | None | Literal["auto"] = "auto") -> Q:
    """Tickets whose title, description or messages contain every word of `text` (Chinese segmented).
    On PostgreSQL this may run up to two bounded queries (pg_fulltext_choice); `stats` is for tests."""
    tokens = query_tokens(text)
    if not tokens:
        return Q(pk__in=[])
    if all(is_single_cjk(t) for t in tokens):
        # One-character queries are not in the word/bigram index: match them as substrings of the
        # indexed text (a scan, so slower on big tables; rare in practice).
        q = Q()
        for t in tokens:
            q &= Q(search_text__contains=t)
        return q
    if connection.vendor == "postgresql":
        return _pg_fulltext_q(tokens, ticket_term_stats() if isinstance(stats, str) else stats)
    if connection.vendor == "sqlite":
        match = " AND ".join('"' + t.replace('"', '""') + '"' for t in tokens)
        return Q(pk__in=RawSQL("SELECT rowid FROM tickets_ticket_fts WHERE tickets_ticket_fts MATCH %s", [match]))
    q = Q()
    for t in tokens:
        q &= Q(search_text__contains=t)
    return q


def search_q(text: str) -> Q:
    """What the global search box means: a ticket number, a phone number, a customer name, or words.

    Customers are resolved to ids first (one small indexed query), so the ticket query is a plain OR
    of conditions; the words' condition takes the form fulltext_q chooses for their frequency."""
    text = text.strip()
    if NUMBER_RE.match(text):
        return Q(number=text.upper())
    if PHONE_RE.match(text) and sum(c.isdigit() for c in text) >= 5:
        digits = re.sub(r"\D", "", text)
        ids = list(CustomerPhone.objects.filter(number=digits).values_list("customer_id", flat=True)[:MAX_SEARCH_CUSTOMERS])
        return Q(contact_phone=digits) | Q(customer_id__in=ids) if ids else Q(contact_phone=digits)
    by_name = list(Customer.objects.filter(name__startswith=text).values_list("id", flat=True)[:MAX_SEARCH_CUSTOMERS])
    return fulltext_q(text) | Q(customer_id__in=by_name) if by_name else fulltext_q(text)


# --- one ticket ------------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # event / message / extra
    event: TicketEvent | None = None
    message: TicketMessage | None = None
    extra: TimelineItem | None = None  # from another app's timeline source (SLA warnings, breaches ...)


def ticket_timeline(*, ticket: Ticket, for_customer: bool = False) -> list[TimelineEntry]:
    """Events and messages in order. The customer sees public replies and no internal notes."""
    messages = list(
        TicketMessage.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=TicketAttachment.objects.select_related("document")))
    )
    if for_customer:
        return [TimelineEntry(at=m.created_at, kind="message", message=m) for m in messages if m.kind == MessageKind.REPLY]
    by_id = {m.pk: m for m in messages}
    entries: list[TimelineEntry] = []
    for ev in TicketEvent.objects.filter(ticket=ticket).select_related("actor"):
        msg = by_id.pop(ev.data.get("message_id"), None) if "message_id" in ev.data else None
        entries.append(TimelineEntry(at=ev.created_at, kind="message" if msg else "event", event=ev, message=msg))
    entries.extend(TimelineEntry(at=m.created_at, kind="message", message=m) for m in by_id.values())
    # Other apps' entries (SLA warnings, breaches and escalations) read in the same timeline.
    entries.extend(TimelineEntry(at=item.at, kind="extra", extra=item) for item in timeline_items(ticket))
    entries.sort(key=lambda e: (e.at, e.event.pk if e.event else 0))
    return entries


def ticket_detail_related(*, ticket: Ticket) -> dict[str, object]:
    return {
        "transfers": list(TicketTransfer.objects.filter(ticket=ticket).select_related("from_team", "to_team", "from_user", "to_user", "actor")),
        "attachments": list(TicketAttachment.objects.filter(ticket=ticket).select_related("document")),
        "tags": list(ticket.tags.all()),
        "links": list(ticket.links_out.select_related("to_ticket")) + list(ticket.links_in.select_related("from_ticket")),
    }


def customer_ticket_history(*, user: User, customer_id: int, exclude_id: int | None = None, limit: int = 10) -> list[Ticket]:
    qs = _list_base().filter(visible_tickets_q(user), customer_id=customer_id)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.order_by("-created_at", "-id")[:limit])


def overview_counts(*, user: User) -> dict[str, list[dict[str, Any]]]:
    """Open tickets by status, team and priority, within what `user` may see."""
    qs = tickets_visible_to(user).filter(status__in=OPEN_STATUSES)
    return {
        "by_status": [dict(r) for r in qs.values("status").annotate(n=Count("id")).order_by("status")],
        "by_team": [dict(r) for r in qs.values("team__name").annotate(n=Count("id")).order_by("-n")],
        "by_priority": [
            dict(r) for r in qs.values("priority", "priority_rank").annotate(n=Count("id")).order_by("-priority_rank")
        ],
    }


def queue_counts(*, user: User) -> dict[str, int]:
    """Live counts for the queue tabs, in one query."""
    qs = tickets_visible_to(user).filter(status__in=OPEN_STATUSES)
    agg = qs.aggregate(
        mine=Count("id", filter=Q(assignee_id=user.pk)),
        team=Count("id", filter=Q(team_id=user.team_id)) if user.team_id else Count("id", filter=Q(pk__in=[])),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        owned_elsewhere=Count("id", filter=Q(owner_id=user.pk) & ~Q(assignee_id=user.pk)),
    )
    return {k: int(v or 0) for k, v in agg.items()}
