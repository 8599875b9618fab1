"""Live chat reads, with visibility built in: a visitor reads only their own conversation (by their
signed token), an agent the chats waiting, their own, and (supervisors) every chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.chat.choices import ConversationStatus, OfferStatus, Sender
from kefu.chat.errors import ChatErrorCode
from kefu.chat.models import ChatFile, ChatMessage, ChatOffer, Conversation, Visitor
from kefu.core.errors import NotFound
from kefu.knowledge.search import SearchHit, suggestions_for_text

PAGE = 200


def _visible_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_supervising:
        return Q()
    return Q(assignee_id=user.pk) | Q(status=ConversationStatus.WAITING)


def conversations_visible_to(user: User) -> QuerySet[Conversation]:
    return Conversation.objects.filter(_visible_q(user)).select_related("visitor__customer", "assignee", "ticket")


def conversation_for_agent(*, user: User, conversation_id: int) -> Conversation:
    conv = conversations_visible_to(user).filter(pk=conversation_id).first()
    if conv is None:
        raise NotFound(code=ChatErrorCode.NOT_FOUND, message=_("Conversation not found."))
    return conv


def offers_for(*, user: User) -> list[ChatOffer]:
    """The chats offered to `user` now, oldest first."""
    return list(ChatOffer.objects.filter(agent_id=user.pk, status=OfferStatus.PENDING)
                .select_related("conversation__visitor").order_by("offered_at", "id"))


def may_watch_conversation(user: User, key: str) -> bool:
    return conversations_visible_to(user).filter(pk=int(key)).exists()


def conversation_for_visitor(*, visitor: Visitor, conversation_id: int) -> Conversation:
    conv = Conversation.objects.filter(pk=conversation_id, visitor=visitor).first()
    if conv is None:
        raise NotFound(code=ChatErrorCode.NOT_FOUND, message=_("Conversation not found."))
    return conv


def file_for_visitor(*, visitor: Visitor, file_id: int) -> ChatFile:
    """A file in the visitor's own conversation (never one sent in a whisper); else 404."""
    f = (ChatFile.objects.filter(pk=file_id, conversation__visitor=visitor, message__isnull=False,
                                 message__internal=False).first())
    if f is None:
        raise NotFound(code=ChatErrorCode.FILE_NOT_FOUND, message=_("File not found."))
    return f


def file_for_agent(*, user: User, file_id: int) -> ChatFile:
    """A file in a chat the agent may see; else 404."""
    f = ChatFile.objects.filter(pk=file_id, conversation__in=conversations_visible_to(user).values("pk")).first()
    if f is None:
        raise NotFound(code=ChatErrorCode.FILE_NOT_FOUND, message=_("File not found."))
    return f


def messages_after(*, conversation: Conversation, after: int = 0, internal: bool = False,
                   limit: int = PAGE) -> list[ChatMessage]:
    """Messages with seq > `after`, in order (the reconnect cursor). Whispers only for agents."""
    qs = conversation.messages.filter(seq__gt=max(0, after)).select_related("author").order_by("seq")
    if not internal:
        qs = qs.filter(internal=False)
    return list(qs[:limit])


def last_visitor_text(conversation: Conversation) -> str:
    """The visitor's last text message (not a file), for the knowledge suggestions."""
    row = (conversation.messages.filter(sender=Sender.VISITOR, file__isnull=True).order_by("-seq")
           .values_list("body", flat=True).first())
    return row or ""


def suggestions_for_conversation(*, user: User, conversation: Conversation, limit: int = 5) -> tuple[str, list[SearchHit]]:
    """(the visitor's last message, the knowledge hits for it that `user` may see): published
    articles, active canned replies and published cases (kefu.knowledge.search.suggestions_for_text)."""
    text = last_visitor_text(conversation)
    if not text or text in ("转人工", "人工"):
        return text, []
    return text, suggestions_for_text(user=user, text=text[:200], limit=limit)


def visitor_history(*, visitor: Visitor, limit: int = 5) -> list[Conversation]:
    return list(visitor.conversations.filter(status=ConversationStatus.ENDED).order_by("-id")[:limit])


@dataclass
class Console:
    waiting: list[Conversation]
    mine: list[Conversation]
    others: list[Conversation]  # supervisors: every other live chat, to watch


def console_for(*, user: User) -> Console:
    live = list(conversations_visible_to(user).filter(
        status__in=(ConversationStatus.WAITING, ConversationStatus.ACTIVE)).order_by("waiting_since", "id")[:200])
    return Console(
        waiting=[c for c in live if c.status == ConversationStatus.WAITING],
        mine=[c for c in live if c.status == ConversationStatus.ACTIVE and c.assignee_id == user.pk],
        others=[c for c in live if c.status == ConversationStatus.ACTIVE and c.assignee_id != user.pk],
    )


@dataclass
class QueueStats:
    waiting: int
    active: int
    bot: int
    longest_wait_seconds: int


def queue_stats() -> QueueStats:
    rows = Conversation.objects.filter(status__in=(ConversationStatus.WAITING, ConversationStatus.ACTIVE,
                                                   ConversationStatus.BOT)).values_list("status", "waiting_since")
    now = timezone.now()
    waits = [int((now - since).total_seconds()) for status, since in rows
             if status == ConversationStatus.WAITING and since]
    return QueueStats(
        waiting=len(waits), active=sum(1 for s, _w in rows if s == ConversationStatus.ACTIVE),
        bot=sum(1 for s, _w in rows if s == ConversationStatus.BOT), longest_wait_seconds=max(waits, default=0),
    )


def agent_conversations(*, start: datetime, end: datetime) -> list[tuple[int, int | None]]:
    """(agent id, ticket id or None) of every chat an agent accepted in [start, end), for the KPIs
    (kefu.performance: contacts handled, ticket conversion); callers apply their visibility."""
    return list(
        Conversation.objects.filter(accepted_at__gte=start, accepted_at__lt=end, assignee__isnull=False)
        .values_list("assignee_id", "ticket_id")
        .order_by()
    )


@dataclass(frozen=True)
class ChatKpiRow:
    """One chat an agent accepted: for 首次响应 (first response), 平均处理时长 (chat AHT) and
    同时接待 (concurrency). Seconds; None where the chat has not got that far."""

    conversation_id: int
    agent_id: int
    ticket_id: int | None
    waiting_since: datetime | None
    accepted_at: datetime
    ended_at: datetime | None
    first_response_seconds: float | None  # hand-over → the first agent reply
    handling_seconds: float | None  # accepted → ended
    sla_met: bool | None  # first reply within the chat's limit
    rating: int | None = None  # the visitor's 1-5 stars at the end, when they rated
    resolved: bool = False  # the agent ended it as resolved


def chat_kpi_rows(*, start: datetime, end: datetime) -> list[ChatKpiRow]:
    """Every chat an agent accepted in [start, end), one query, for the KPIs (kefu.performance reads
    chat facts only through this module); callers apply their visibility."""
    rows = (Conversation.objects.filter(accepted_at__gte=start, accepted_at__lt=end, assignee__isnull=False)
            .values_list("pk", "assignee_id", "ticket_id", "waiting_since", "accepted_at", "ended_at",
                         "first_response_at", "first_response_due_at", "rating", "resolved")
            .order_by("accepted_at", "pk"))
    out = []
    for pk, agent, ticket, since, accepted, ended, first, due, rating, resolved in rows:
        assert accepted is not None  # filtered on accepted_at
        out.append(ChatKpiRow(
            conversation_id=pk, agent_id=agent, ticket_id=ticket, waiting_since=since, accepted_at=accepted,
            ended_at=ended,
            first_response_seconds=(first - since).total_seconds() if first and since else None,
            handling_seconds=(ended - accepted).total_seconds() if ended else None,
            sla_met=(first <= due) if first and due else None, rating=rating, resolved=resolved,
        ))
    return out


def peak_concurrent(rows: list[ChatKpiRow], *, until: datetime) -> dict[int, int]:
    """Per agent, the most chats they held at once (accepted, not yet ended; an open one runs to `until`)."""
    events: dict[int, list[tuple[datetime, int]]] = {}
    for r in rows:
        events.setdefault(r.agent_id, []).extend([(r.accepted_at, 1), (r.ended_at or until, -1)])
    peak: dict[int, int] = {}
    for agent, evs in events.items():
        now = best = 0
        for _at, step in sorted(evs, key=lambda e: (e[0], e[1])):  # an end before a start at the same instant
            now += step
            best = max(best, now)
        peak[agent] = best
    return peak


@dataclass(frozen=True)
class AgentChatKpis:
    agent_id: int
    chats: int
    first_response_avg_seconds: float | None
    aht_seconds: float | None  # average accepted → ended over the ended chats
    peak_concurrent: int
    sla_attainment: float | None  # share of answered chats whose first reply was in time
    rated: int = 0  # chats the visitor rated
    rating_avg: float | None = None  # their average stars (1-5)
    satisfied_share: float | None = None  # share of the rated chats given 4 or 5 stars (满意率)
    resolved_share: float | None = None  # share of the ended chats the agent marked resolved


def chat_kpis(*, start: datetime, end: datetime) -> dict[int, AgentChatKpis]:
    """The chat KPIs per agent over [start, end) (chats accepted in it)."""
    rows = chat_kpi_rows(start=start, end=end)
    peaks = peak_concurrent(rows, until=min(end, timezone.now()))
    by_agent: dict[int, list[ChatKpiRow]] = {}
    for r in rows:
        by_agent.setdefault(r.agent_id, []).append(r)

    def avg(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    out = {}
    for agent, rs in by_agent.items():
        frt = [r.first_response_seconds for r in rs if r.first_response_seconds is not None]
        aht = [r.handling_seconds for r in rs if r.handling_seconds is not None]
        sla = [r.sla_met for r in rs if r.sla_met is not None]
        stars = [r.rating for r in rs if r.rating is not None]
        ended = [r.resolved for r in rs if r.ended_at is not None]
        out[agent] = AgentChatKpis(agent_id=agent, chats=len(rs), first_response_avg_seconds=avg(frt),
                                   aht_seconds=avg(aht), peak_concurrent=peaks.get(agent, 0),
                                   sla_attainment=(sum(sla) / len(sla)) if sla else None,
                                   rated=len(stars), rating_avg=avg([float(x) for x in stars]),
                                   satisfied_share=(sum(1 for x in stars if x >= 4) / len(stars)) if stars else None,
                                   resolved_share=(sum(ended) / len(ended)) if ended else None)
    return out
