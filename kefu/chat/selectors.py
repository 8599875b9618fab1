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
