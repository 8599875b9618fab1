"""Chat conversations (kefu.chat) as inspection items: kind "chat", source id = the conversation, the
messages as turns {speaker, at, text, author}, so they go through the same pre-screen, scorecards,
review, appeals and results as tickets with no change to this app's tables.

The visitor's messages are the customer's turns, an agent's are the agent's, an agent's whisper
(`internal`) is an internal note; the bot's and system messages are left out (nobody is inspected for
them). Capture is idempotent (one item per conversation). kefu.chat publishes no end-of-chat fact (and
sits in the same layer), so the clock job `quality_chat_capture` (kefu.quality.clock) runs
`capture_ended_chats` every few minutes from a cursor row (ChatCapture), and every plan draw catches up
on its own period too; a chat-end subscription would call `item_capture_chat` directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kefu.chat.choices import ConversationStatus, Sender
from kefu.chat.models import ChatMessage, Conversation
from kefu.quality.choices import ContactKind, Speaker
from kefu.quality.models import ChatCapture, InspectionItem
from kefu.quality.prescreen import prescreen


def chat_turns(conv: Conversation) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for m in ChatMessage.objects.filter(conversation=conv).select_related("author").order_by("seq"):
        if m.sender == Sender.VISITOR:
            speaker = Speaker.CUSTOMER
        elif m.sender == Sender.AGENT:
            speaker = Speaker.NOTE if m.internal else Speaker.AGENT
        else:
            continue
        turns.append({
            "speaker": speaker.value, "at": m.created_at.isoformat(), "text": m.body,
            "author": m.author.name if m.author else "",
        })
    return turns


def item_capture_chat(*, conversation_id: int, now: datetime | None = None) -> InspectionItem | None:
    """The inspection item of an ended chat that an agent handled (None: not ended, never handled by
    an agent, or gone). A second call returns the existing item."""
    existing = InspectionItem.objects.filter(kind=ContactKind.CHAT, source_id=conversation_id).first()
    if existing is not None:
        return existing
    conv = Conversation.objects.select_related("assignee", "visitor").filter(pk=conversation_id).first()
    if conv is None or conv.status != ConversationStatus.ENDED or conv.assignee_id is None:
        return None
    turns = chat_turns(conv)
    if not any(t["speaker"] == Speaker.AGENT for t in turns):
        return None
    agent = conv.assignee
    try:
        with transaction.atomic():
            return InspectionItem.objects.create(
                kind=ContactKind.CHAT, source_id=conv.pk, source_ref=f"CHAT-{conv.pk}",
                title=(conv.visitor.label if conv.visitor else "")[:200], turns=turns,
                findings=[f.as_dict() for f in prescreen(turns)], agent=agent,
                team_id=agent.team_id if agent else None, contact_at=conv.ended_at,
                sampled_at=now or timezone.now(),
            )
    except IntegrityError:  # captured at the same moment by another worker
        return InspectionItem.objects.get(kind=ContactKind.CHAT, source_id=conversation_id)


def capture_ended_chats(*, start: datetime, end: datetime, now: datetime | None = None) -> list[InspectionItem]:
    """Catch up: every agent-handled chat that ended in [start, end) as an item."""
    ids = (
        Conversation.objects.filter(status=ConversationStatus.ENDED, ended_at__gte=start, ended_at__lt=end,
                                    assignee__isnull=False)
        .order_by("id").values_list("id", flat=True)
    )
    out = []
    for pk in ids:
        item = item_capture_chat(conversation_id=pk, now=now)
        if item is not None:
            out.append(item)
    return out


CAPTURE_EVERY = timedelta(minutes=5)
# Each pass looks back this far before its cursor, so a chat whose end committed late is not missed
# (capture is idempotent, so the overlap costs nothing but a lookup).
CAPTURE_OVERLAP = timedelta(minutes=10)


def chat_capture_ensure(*, now: datetime | None = None) -> ChatCapture:
    cursor, _new = ChatCapture.objects.get_or_create(
        name="chats", defaults={"next_run_at": now or timezone.now()}
    )
    return cursor


def chat_capture_due(*, cursor_id: int, due_at: datetime, now: datetime) -> bool:
    """The clock: claim the cursor (conditional UPDATE on its due time), capture every chat that ended
    since the last pass, move the cursor. False when another clock claimed it first."""
    with transaction.atomic():
        cursor = ChatCapture.objects.select_for_update().filter(pk=cursor_id, next_run_at=due_at).first()
        if cursor is None:
            return False
        start = (
            (cursor.captured_until - CAPTURE_OVERLAP)
            if cursor.captured_until
            else datetime.min.replace(tzinfo=UTC)
        )
        capture_ended_chats(start=start, end=now, now=now)
        cursor.captured_until = now
        cursor.next_run_at = now + CAPTURE_EVERY
        cursor.save(update_fields=["captured_until", "next_run_at"])
    return True
