"""Live chat writes. Every message is stored, with the conversation's next sequence number taken
under the conversation's row lock, before it is pushed (on commit) to the visitor's sockets
(`visitor.<conversation id>`) and the agents watching (`conv.<conversation id>`). A client that
reconnects asks for what came after the last number it saw (kefu.chat.selectors.messages_after).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.choices import Presence, Role
from kefu.accounts.models import Team, User
from kefu.bot.services import ReplyKind, bot_mark_unresolved, bot_reply
from kefu.chat.choices import OPEN_STATUSES, ConversationStatus, OfferStatus, Sender
from kefu.chat.errors import ChatErrorCode
from kefu.chat.models import AgentChatSetting, ChatFile, ChatMessage, ChatOffer, Conversation, Visitor
from kefu.chat.offers import AgentSlot, pick
from kefu.core.errors import Conflict, DomainError, Forbidden, NotFound
from kefu.customers.services import CustomerIdentity, customer_find
from kefu.customers.uploads import check_upload
from kefu.knowledge.markup import fill_variables
from kefu.knowledge.services import reply_fill
from kefu.realtime.push import group_name, push_on_commit
from kefu.surveys.services import contact_rated, template_for_contact
from kefu.tickets.access import require_write
from kefu.tickets.choices import OPEN_STATUSES as TICKET_OPEN
from kefu.tickets.choices import Channel, MessageKind, TicketStatus
from kefu.tickets.models import Ticket
from kefu.tickets.services import TicketInput, ticket_add_message, ticket_change_status, ticket_create

TOKEN_SALT = "kefu.chat.visitor"
QUEUE_GROUP = "chatqueue.all"
DEFAULT_CAPACITY = 3
# What a chat takes, of what kefu.customers.uploads allows: pictures, PDFs, text and Office files.
CHAT_FILE_TYPES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".pdf", ".txt", ".docx", ".xlsx"})
# Roles that take chats (QA reads, never writes).
CHAT_ROLES = (Role.AGENT, Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN)


# --- visitors --------------------------------------------------------------------------------------


def visitor_token(visitor: Visitor) -> str:
    return signing.dumps({"v": visitor.key}, salt=TOKEN_SALT, compress=True)


def visitor_from_token(token: str) -> Visitor:
    """The visitor a signed token names; DomainError bad_token (401) for a tampered or unknown one."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
        visitor = Visitor.objects.select_related("customer__tier").get(key=str(data["v"]))
    except (signing.BadSignature, Visitor.DoesNotExist, KeyError, TypeError):
        raise DomainError(code=ChatErrorCode.BAD_TOKEN, message=_("This chat link is not valid."),
                          status=401) from None
    return visitor


def visitor_start(*, name: str = "", phone: str = "") -> Visitor:
    """A new anonymous visitor (or one who filled the pre-chat form)."""
    now = timezone.now()
    visitor = Visitor.objects.create(key=secrets.token_urlsafe(32), created_at=now, last_seen_at=now)
    if name or phone:
        visitor_identify(visitor=visitor, name=name, phone=phone)
    return visitor


def visitor_identify(*, visitor: Visitor, name: str = "", phone: str = "") -> Visitor:
    """Name and phone from the pre-chat form. A phone that matches a customer links the visitor to
    them, unverified: the visitor typed it, nobody checked it is theirs."""
    visitor.name = name.strip()[:64]
    visitor.phone = phone.strip()[:32]
    visitor.customer = customer_find(CustomerIdentity(phone=visitor.phone)) if visitor.phone else None
    visitor.customer_verified = False
    visitor.save(update_fields=["name", "phone", "customer", "customer_verified"])
    return visitor


def rate_check(key: str, limit: int) -> None:
    """At most `limit` hits per minute for `key` (a visitor, an IP); DomainError rate_limited (429)."""
    bucket = f"kefu.chat.rate:{key}:{int(timezone.now().timestamp() // 60)}"
    if cache.add(bucket, 1, timeout=70):
        return
    try:
        count = cache.incr(bucket)
    except ValueError:
        cache.set(bucket, 1, timeout=70)
        return
    if count > limit:
        raise DomainError(code=ChatErrorCode.RATE_LIMITED, message=_("Too many messages. Please wait a moment."),
                          status=429)


# --- conversations ---------------------------------------------------------------------------------


def _event(message: ChatMessage) -> dict[str, Any]:
    return {"type": "message", "conversation": message.conversation_id, "message": message_json(message)}


def message_json(m: ChatMessage) -> dict[str, Any]:
    return {
        "seq": m.seq, "sender": m.sender, "body": m.body, "internal": m.internal,
        "author": m.author.name if m.author_id and m.author else "",
        "at": m.created_at.isoformat(), "meta": m.meta, "client_id": m.client_id,
    }


def _post(conv: Conversation, *, sender: str, body: str, author: User | None = None, internal: bool = False,
          client_id: str = "", meta: dict[str, Any] | None = None, now: datetime | None = None) -> ChatMessage:
    """Store one message with the next sequence number. `conv` must be locked (select_for_update)."""
    conv.last_seq += 1
    msg = ChatMessage.objects.create(
        conversation=conv, seq=conv.last_seq, sender=sender, author=author, body=body, internal=internal,
        client_id=client_id, meta=meta or {}, created_at=now or timezone.now(),
    )
    conv.save(update_fields=["last_seq"])
    event = _event(msg)
    push_on_commit(group_name("conv", conv.pk), event)
    if not internal:
        push_on_commit(group_name("visitor", conv.pk), event)
    return msg


def _status_event(conv: Conversation, **extra: Any) -> None:
    event = {"type": "status", "conversation": conv.pk, "status": conv.status,
             "agent": conv.assignee.name if conv.assignee_id and conv.assignee else "", **extra}
    push_on_commit(group_name("conv", conv.pk), event)
    push_on_commit(group_name("visitor", conv.pk), event)


def _locked(conversation_id: int) -> Conversation:
    conv = (Conversation.objects.select_for_update(of=("self",)).select_related("visitor", "assignee")
            .filter(pk=conversation_id).first())
    if conv is None:
        raise NotFound(code=ChatErrorCode.NOT_FOUND, message=_("Conversation not found."))
    return conv


def conversation_open(*, visitor: Visitor, page_url: str = "") -> tuple[Conversation, bool]:
    """The visitor's open conversation, or a new one with the bot's greeting. Returns (conv, created)."""
    conv = visitor.conversations.filter(status__in=OPEN_STATUSES).order_by("-id").first()
    if conv is not None:
        return conv, False
    now = timezone.now()
    with transaction.atomic():
        conv = Conversation.objects.create(visitor=visitor, created_at=now, page_url=page_url[:300])
        _post(conv, sender=Sender.BOT, body=_("Hello, I am the service bot. Ask me anything, or say 转人工 "
                                              "to talk to a person."), now=now)
    return conv, True


def queue_position(conv: Conversation) -> int:
    if conv.status != ConversationStatus.WAITING or conv.waiting_since is None:
        return 0
    return Conversation.objects.filter(status=ConversationStatus.WAITING,
                                       waiting_since__lte=conv.waiting_since).count()


def agents_on_duty() -> int:
    return User.objects.filter(is_active=True, presence=Presence.ONLINE).count()


def _hand_over(conv: Conversation, *, reason: str, now: datetime) -> None:
    conv.status = ConversationStatus.WAITING
    conv.handover_reason = reason
    conv.waiting_since = now
    conv.first_response_due_at = conv.sla_due_at = now + timedelta(seconds=settings.KEFU_CHAT_FIRST_RESPONSE_SECONDS)
    conv.save(update_fields=["status", "handover_reason", "waiting_since", "first_response_due_at", "sla_due_at"])
    if agents_on_duty() == 0:
        _post(conv, sender=Sender.SYSTEM, body=_("No agent is on duty right now. Leave a message and we will "
                                                 "contact you."), meta={"offline": True}, now=now)
    else:
        position = queue_position(conv)
        _post(conv, sender=Sender.SYSTEM, body=_("Connecting you to an agent. You are number %(n)d in the "
                                                 "queue.") % {"n": position}, meta={"queue": position}, now=now)
    _status_event(conv, queue=queue_position(conv))
    push_on_commit(QUEUE_GROUP, {"type": "chat.waiting", "conversation": conv.pk,
                                 "visitor": conv.visitor.label, "reason": reason})
    _sla_event(conv)
    _offer_next(conv, now=now)


def visitor_send(*, visitor: Visitor, conversation_id: int, body: str, client_id: str = "") -> list[ChatMessage]:
    """A visitor's message, then the bot's reply while the bot has the conversation. A message with a
    client_id already stored is not stored again (a resend after a reconnect): the stored one is
    returned. Errors: empty, too long, ended, not this visitor's conversation, rate limited."""
    body = (body or "").strip()
    if not body:
        raise DomainError(code=ChatErrorCode.EMPTY_MESSAGE, message=_("Write something first."))
    if len(body) > settings.KEFU_CHAT_MAX_MESSAGE:
        raise DomainError(code=ChatErrorCode.MESSAGE_TOO_LONG, message=_("The message is too long."))
    client_id = (client_id or "")[:64]
    now = timezone.now()
    with transaction.atomic():
        conv = _locked(conversation_id)
        if conv.visitor_id != visitor.pk:
            raise NotFound(code=ChatErrorCode.NOT_FOUND, message=_("Conversation not found."))
        if client_id:
            done = conv.messages.filter(client_id=client_id).first()
            if done is not None:
                return [done]
        if conv.status == ConversationStatus.ENDED:
            raise DomainError(code=ChatErrorCode.CONVERSATION_ENDED, message=_("This conversation has ended."),
                              status=409)
        rate_check(f"v{visitor.pk}", settings.KEFU_CHAT_RATE_PER_MINUTE)
        out = [_post(conv, sender=Sender.VISITOR, body=body, client_id=client_id, now=now)]
        if conv.status == ConversationStatus.BOT:
            out += _bot_turn(conv, body, now)
        Visitor.objects.filter(pk=visitor.pk).update(last_seen_at=now)
    return out


def _bot_turn(conv: Conversation, body: str, now: datetime) -> list[ChatMessage]:
    customer = conv.visitor.customer
    vip = bool(customer is not None and customer.is_vip)
    reply = bot_reply(question=body[:500], misses=conv.bot_misses, vip=vip, conversation_ref=conv.pk)
    if reply.reason == "not_solved" or (reply.kind == ReplyKind.HANDOVER and reply.reason == "misses"):
        bot_mark_unresolved(conversation_ref=conv.pk)
    if reply.reason in ("not_solved", "low_confidence"):
        conv.bot_misses += 1
        conv.save(update_fields=["bot_misses"])
    meta: dict[str, Any] = {"kind": reply.kind, "confidence": reply.confidence,
                            "sources": [{"title": s.title, "url": s.url} for s in reply.sources],
                            "choices": reply.choices}
    if reply.kind == ReplyKind.ANSWER:
        meta["actions"] = ["没解决", "转人工"]
    out = [_post(conv, sender=Sender.BOT, body=reply.text, meta=meta, now=now)]
    if reply.kind == ReplyKind.HANDOVER:
        _hand_over(conv, reason=reply.reason, now=now)
    return out


def visitor_read(*, visitor: Visitor, conversation_id: int, seq: int) -> None:
    """Read receipt: the visitor has seen everything up to `seq`."""
    updated = Conversation.objects.filter(pk=conversation_id, visitor=visitor, visitor_read_seq__lt=seq).update(
        visitor_read_seq=seq)
    if updated:
        push_on_commit(group_name("conv", conversation_id), {"type": "read", "conversation": conversation_id,
                                                             "by": "visitor", "seq": seq})


def rating_request(conv: Conversation) -> dict[str, Any]:
    """What the widget asks at the end: the title and the reasons to pick of the surveys app's
    template for chats (a template matching the chat channel, else the default one)."""
    template = template_for_contact(channel=Channel.CHAT, team_id=conv.assignee.team_id if conv.assignee else None)
    if template is None or not template.ask_csat:
        return {"title": _("Please rate this chat"), "reasons": []}
    return {"title": template.title, "reasons": [str(r) for r in (template.reasons or [])][:12]}


def visitor_rate(
    *, visitor: Visitor, conversation_id: int, score: int, comment: str = "", reasons: Sequence[str] = ()
) -> Conversation:
    """The satisfaction rating (1-5) at the end of a conversation, with reasons picked from the
    chat's survey template. A low one (the template's threshold or negative words) puts a known
    customer in the dissatisfied archive, as a low survey answer does."""
    if score not in range(1, 6):
        raise DomainError(code=ChatErrorCode.BAD_RATING, message=_("Choose 1 to 5 stars."))
    with transaction.atomic():
        conv = _locked(conversation_id)
        if conv.visitor_id != visitor.pk:
            raise NotFound(code=ChatErrorCode.NOT_FOUND, message=_("Conversation not found."))
        if conv.status != ConversationStatus.ENDED:
            raise DomainError(code=ChatErrorCode.NOT_ENDED, message=_("Rate the conversation when it has ended."))
        if conv.rating is not None:
            raise Conflict(code=ChatErrorCode.ALREADY_RATED, message=_("This chat has already been rated."))
        template = template_for_contact(channel=Channel.CHAT,
                                        team_id=conv.assignee.team_id if conv.assignee else None)
        allowed = [str(r) for r in (template.reasons or [])] if template else []
        picked = list(dict.fromkeys(str(r) for r in reasons))
        unknown = [r for r in picked if r not in allowed]
        if unknown:
            raise DomainError(code=ChatErrorCode.BAD_RATING, message=_("Pick the reasons from the list."))
        conv.rating = score
        conv.rating_comment = comment.strip()[:500]
        conv.rating_reasons = picked
        conv.save(update_fields=["rating", "rating_comment", "rating_reasons"])
        if template is not None:
            # The chat's ticket names the customer (the agent may have linked them); else the
            # customer the pre-chat phone matched.
            ticket_customer = (Ticket.objects.filter(pk=conv.ticket_id).values_list("customer_id", flat=True).first()
                                if conv.ticket_id else None)
            customer_id = ticket_customer or visitor.customer_id
            contact_rated(template=template, customer_id=customer_id, ticket_id=conv.ticket_id, csat=score,
                          comment=" ".join([conv.rating_comment, *picked]),
                          note=_("Live chat rated %(score)s/5: %(text)s") % {
                              "score": score, "text": "；".join([*picked, conv.rating_comment]).strip("；")})
        push_on_commit(group_name("conv", conv.pk), {"type": "rated", "conversation": conv.pk, "score": score})
    return conv


def visitor_end(*, visitor: Visitor, conversation_id: int) -> Conversation:
    with transaction.atomic():
        conv = _locked(conversation_id)
        if conv.visitor_id != visitor.pk:
            raise NotFound(code=ChatErrorCode.NOT_FOUND, message=_("Conversation not found."))
        return _end(conv, by=None)


# --- files -----------------------------------------------------------------------------------------


def file_json(f: ChatFile) -> dict[str, Any]:
    return {"id": f.pk, "name": f.name, "size": f.size, "type": f.content_type, "image": f.is_image}


def _check_chat_file(name: str, content: bytes) -> tuple[str, str]:
    """(safe name, content type) of a file a chat may carry, or DomainError: larger than
    KEFU_CHAT_FILE_MAX_BYTES (413), not a picture/PDF/text/Office file, or refused by the customers
    upload checks (extension and leading bytes must agree; HTML, SVG, executables never pass)."""
    limit = settings.KEFU_CHAT_FILE_MAX_BYTES
    if len(content) > limit:
        raise DomainError(code=ChatErrorCode.FILE_TOO_LARGE, status=413,
                          message=_("Files in chat may be at most %(mb)s MB.") % {"mb": max(1, limit // (1024 * 1024))})
    checked = check_upload(name=name, content=content)
    if PurePath(checked.name).suffix.lower() not in CHAT_FILE_TYPES:
        raise DomainError(code=ChatErrorCode.FILE_TYPE_NOT_ALLOWED, status=415,
                          message=_("Send a picture, a PDF, a text or an Office file."))
    return checked.name, checked.content_type


def _post_file(conv: Conversation, *, sender: str, author: User | None, name: str, content: bytes,
               client_id: str = "") -> ChatMessage:
    """Store a checked file and its message (the file's name as the text, the file in meta). `conv`
    must be locked."""
    safe, content_type = _check_chat_file(name, content)
    digest = hashlib.sha256(content).hexdigest()
    now = timezone.now()
    f = ChatFile(conversation=conv, sender=sender, uploaded_by=author, name=safe, content_type=content_type,
                 size=len(content), sha256=digest, created_at=now)
    suffix = PurePath(safe).suffix.lower()
    f.file.save(f"{digest[:16]}{suffix}", ContentFile(content), save=False)
    f.save()
    msg = _post(conv, sender=sender, author=author, body=safe, client_id=client_id[:64],
                meta={"file": file_json(f)}, now=now)
    f.message = msg
    f.save(update_fields=["message"])
    return msg


def visitor_send_file(*, visitor: Visitor, conversation_id: int, name: str, content: bytes,
                      client_id: str = "") -> ChatMessage:
    """A file from the visitor (the widget's paper clip), checked, stored and pushed like a message."""
    with transaction.atomic():
        conv = _locked(conversation_id)
        if conv.visitor_id != visitor.pk:
            raise NotFound(code=ChatErrorCode.NOT_FOUND, message=_("Conversation not found."))
        if conv.status == ConversationStatus.ENDED:
            raise DomainError(code=ChatErrorCode.CONVERSATION_ENDED, message=_("This conversation has ended."),
                              status=409)
        rate_check(f"v{visitor.pk}", settings.KEFU_CHAT_RATE_PER_MINUTE)
        return _post_file(conv, sender=Sender.VISITOR, author=None, name=name, content=content, client_id=client_id)


def agent_send_file(*, actor: User, conversation_id: int, name: str, content: bytes) -> ChatMessage:
    """A file from the agent to the visitor; counts as the first reply like a text message."""
    with transaction.atomic():
        conv = _locked(conversation_id)
        _may_handle(actor, conv)
        if conv.status != ConversationStatus.ACTIVE:
            raise DomainError(code=ChatErrorCode.CONVERSATION_ENDED, message=_("Only an ongoing chat takes files."),
                              status=409)
        msg = _post_file(conv, sender=Sender.AGENT, author=actor, name=name, content=content)
        _answered(conv, msg.created_at)
    return msg


# --- agents ----------------------------------------------------------------------------------------


def chat_capacity(user: User) -> int:
    setting = AgentChatSetting.objects.filter(user=user).first()
    return setting.capacity if setting else DEFAULT_CAPACITY


def chat_set_capacity(*, actor: User, capacity: int) -> AgentChatSetting:
    if capacity not in range(0, 21):
        raise DomainError(code=ChatErrorCode.BAD_CAPACITY, message=_("Choose 0 to 20 chats."),
                          fields={"capacity": [_("Choose 0 to 20 chats.")]})
    with transaction.atomic():
        setting, _created = AgentChatSetting.objects.update_or_create(user=actor, defaults={"capacity": capacity})
        transaction.on_commit(offers_drain)
    return setting


# --- offers ----------------------------------------------------------------------------------------


def _slots(*, only: int | None = None) -> list[AgentSlot]:
    """Every agent online who takes chats, with their capacity and load (four queries)."""
    users = User.objects.filter(is_active=True, presence=Presence.ONLINE, role__in=CHAT_ROLES)
    if only is not None:
        users = users.filter(pk=only)
    ids = list(users.values_list("pk", flat=True))
    if not ids:
        return []
    caps = dict(AgentChatSetting.objects.filter(user_id__in=ids).values_list("user_id", "capacity"))
    active = dict(Conversation.objects.filter(assignee_id__in=ids, status=ConversationStatus.ACTIVE)
                  .values_list("assignee_id").annotate(n=Count("id")).values_list("assignee_id", "n"))
    pending = dict(ChatOffer.objects.filter(agent_id__in=ids, status=OfferStatus.PENDING)
                   .values_list("agent_id").annotate(n=Count("id")).values_list("agent_id", "n"))
    idle = dict(Conversation.objects.filter(assignee_id__in=ids).values_list("assignee_id")
                .annotate(last=Max("accepted_at")).values_list("assignee_id", "last"))
    return [AgentSlot(id=i, capacity=caps.get(i, DEFAULT_CAPACITY), active=active.get(i, 0),
                      pending=pending.get(i, 0), idle_since=idle.get(i)) for i in ids]


def _offer_json(offer: ChatOffer, conv: Conversation) -> dict[str, Any]:
    return {"type": "chat.offer", "conversation": conv.pk, "offer": offer.pk, "visitor": conv.visitor.label,
            "reason": offer.reason, "due": offer.due_at.isoformat() if offer.due_at else None,
            "seconds": settings.KEFU_CHAT_OFFER_SECONDS}


def _close_offer(offer: ChatOffer, status: str, now: datetime) -> None:
    offer.status, offer.due_at, offer.answered_at = status, None, now
    offer.save(update_fields=["status", "due_at", "answered_at"])
    if status != OfferStatus.ACCEPTED:
        push_on_commit(group_name("user", offer.agent_id), {"type": "chat.offer_gone", "conversation":
                                                            offer.conversation_id, "offer": offer.pk,
                                                            "status": status})


def _offer_next(conv: Conversation, *, now: datetime) -> ChatOffer | None:
    """Offer a waiting chat (locked, with no pending offer) to the next agent (kefu.chat.offers.pick):
    a VIP's account manager first, then the least busy agent online with a free slot. None when nobody
    may take it now: it waits in the queue, and a freed slot offers it later (offers_drain)."""
    if conv.status != ConversationStatus.WAITING:
        return None
    customer = conv.visitor.customer if conv.visitor.customer_id else None
    manager_id = customer.account_manager_id if customer is not None and customer.is_vip else None
    passed = frozenset(conv.offers.exclude(status=OfferStatus.WITHDRAWN).values_list("agent_id", flat=True))
    for _attempt in range(3):
        chosen = pick(_slots(), manager_id=manager_id, passed=passed)
        if chosen is None:
            return None
        agent_id, reason = chosen
        # Take the agent's row lock and count again: two chats offered at once cannot both take the
        # agent's last free slot.
        User.objects.select_for_update().filter(pk=agent_id).values_list("pk", flat=True).first()
        again = _slots(only=agent_id)
        if again and again[0].free > 0:
            offer = ChatOffer.objects.create(
                conversation=conv, agent_id=agent_id, reason=reason, offered_at=now,
                due_at=now + timedelta(seconds=settings.KEFU_CHAT_OFFER_SECONDS))
            push_on_commit(group_name("user", agent_id), _offer_json(offer, conv))
            push_on_commit(group_name("conv", conv.pk), {"type": "chat.offered", "conversation": conv.pk,
                                                         "agent": agent_id})
            return offer
        passed = passed | {agent_id}
    return None


def offer_decline(*, actor: User, conversation_id: int) -> ChatOffer:
    """The agent passes on a chat offered to them; it goes to the next agent at once."""
    now = timezone.now()
    with transaction.atomic():
        conv = _locked(conversation_id)
        offer = conv.offers.filter(status=OfferStatus.PENDING, agent=actor).first()
        if offer is None:
            raise Conflict(code=ChatErrorCode.NO_OFFER, message=_("This chat is not offered to you (any more)."))
        _close_offer(offer, OfferStatus.DECLINED, now)
        _offer_next(conv, now=now)
    return offer


def offer_expire(*, offer_id: int, due_at: datetime, now: datetime) -> bool:
    """The clock (job `chat_offer`): an offer not accepted in time goes to the next agent. Claims
    the row with a conditional UPDATE, so of several clocks exactly one acts."""
    with transaction.atomic():
        claimed = ChatOffer.objects.filter(pk=offer_id, due_at=due_at, status=OfferStatus.PENDING).update(
            status=OfferStatus.EXPIRED, due_at=None, answered_at=now)
        if not claimed:
            return False
        offer = ChatOffer.objects.get(pk=offer_id)
        push_on_commit(group_name("user", offer.agent_id), {"type": "chat.offer_gone", "conversation":
                                                            offer.conversation_id, "offer": offer.pk,
                                                            "status": OfferStatus.EXPIRED})
        conv = _locked(offer.conversation_id)
        _offer_next(conv, now=now)
    return True


def offers_drain(*, limit: int = 20) -> int:
    """Offer the oldest waiting chats that nobody has on offer (after a chat slot came free: a chat
    ended, an agent raised their capacity or came online). Returns how many offers went out."""
    now = timezone.now()
    made = 0
    ids = list(Conversation.objects.filter(status=ConversationStatus.WAITING)
               .exclude(offers__status=OfferStatus.PENDING).order_by("waiting_since", "id")
               .values_list("pk", flat=True)[:limit])
    for conv_id in ids:
        with transaction.atomic():
            conv = _locked(conv_id)
            if conv.offers.filter(status=OfferStatus.PENDING).exists():
                continue
            if _offer_next(conv, now=now) is None:
                if not _slots():
                    break
                continue
            made += 1
    return made


def on_presence(user: User) -> None:
    """After an agent's presence change commits: one coming online may take the waiting chats."""
    if user.presence == Presence.ONLINE:
        offers_drain()


# --- the first-response time limit -------------------------------------------------------------------


def _sla_event(conv: Conversation) -> None:
    event = {"type": "chat.sla", "conversation": conv.pk, "state": conv.sla_state,
             "due": conv.first_response_due_at.isoformat() if conv.first_response_due_at else None}
    push_on_commit(group_name("conv", conv.pk), event)
    push_on_commit(QUEUE_GROUP, event)


def conversation_sla_breach(*, conversation_id: int, due_at: datetime, now: datetime) -> bool:
    """The clock (job `chat_first_response`): nobody answered the chat in time; the badge turns red
    on every console (pushed once). Conditional UPDATE: one clock acts."""
    with transaction.atomic():
        claimed = Conversation.objects.filter(pk=conversation_id, sla_due_at=due_at,
                                              first_response_at__isnull=True).update(sla_due_at=None)
        if not claimed:
            return False
        _sla_event(Conversation.objects.get(pk=conversation_id))
    return True


def _may_handle(actor: User, conv: Conversation) -> None:
    require_write(actor)
    if conv.assignee_id != actor.pk and not actor.is_supervising:
        raise Forbidden(code=ChatErrorCode.NOT_YOURS, message=_("This chat is another agent's."))


def conversation_accept(*, actor: User, conversation_id: int) -> Conversation:
    """Take a waiting chat. Locks the conversation: of two agents accepting at once, one gets it and
    the other a 409 not_waiting. Refused at the agent's chat capacity."""
    require_write(actor)
    now = timezone.now()
    with transaction.atomic():
        conv = _locked(conversation_id)
        if conv.status != ConversationStatus.WAITING:
            raise Conflict(code=ChatErrorCode.NOT_WAITING, message=_("Another agent took this chat already."))
        active = Conversation.objects.filter(assignee=actor, status=ConversationStatus.ACTIVE).count()
        if active >= chat_capacity(actor):
            raise DomainError(code=ChatErrorCode.AT_CAPACITY, message=_("You have as many chats as you take at once."))
        # The chat's offer, if any: accepted when it is this agent's; withdrawn from whoever else had
        # it (an agent may take a chat from the queue before its offer runs out).
        offer = conv.offers.filter(status=OfferStatus.PENDING).first()
        if offer is not None:
            _close_offer(offer, OfferStatus.ACCEPTED if offer.agent_id == actor.pk else OfferStatus.WITHDRAWN, now)
        conv.status = ConversationStatus.ACTIVE
        conv.assignee = actor
        conv.accepted_at = now
        conv.save(update_fields=["status", "assignee", "accepted_at"])
        _post(conv, sender=Sender.SYSTEM, body=_("%(agent)s is here to help you.") % {"agent": actor.name}, now=now)
        _status_event(conv)
        push_on_commit(QUEUE_GROUP, {"type": "chat.taken", "conversation": conv.pk, "agent": actor.pk})
    return conv


def agent_send(*, actor: User, conversation_id: int, body: str, internal: bool = False,
               client_id: str = "") -> ChatMessage:
    """An agent's reply (or, `internal`, a whisper other agents see and the visitor never does)."""
    body = (body or "").strip()
    if not body:
        raise DomainError(code=ChatErrorCode.EMPTY_MESSAGE, message=_("Write something first."))
    if len(body) > settings.KEFU_CHAT_MAX_MESSAGE:
        raise DomainError(code=ChatErrorCode.MESSAGE_TOO_LONG, message=_("The message is too long."))
    with transaction.atomic():
        conv = _locked(conversation_id)
        _may_handle(actor, conv)
        if conv.status == ConversationStatus.ENDED:
            raise DomainError(code=ChatErrorCode.CONVERSATION_ENDED, message=_("This conversation has ended."),
                              status=409)
        if client_id:
            done = conv.messages.filter(client_id=client_id[:64]).first()
            if done is not None:
                return done
        msg = _post(conv, sender=Sender.AGENT, body=body, author=actor, internal=internal, client_id=client_id[:64])
        if not internal:
            _answered(conv, msg.created_at)
    return msg


def _answered(conv: Conversation, at: datetime) -> None:
    """An agent's public message: the read mark moves, and the first one stops the SLA clock."""
    conv.agent_read_seq = conv.last_seq
    fields = ["agent_read_seq"]
    if conv.first_response_at is None and conv.waiting_since is not None:
        conv.first_response_at = at
        conv.sla_due_at = None
        fields += ["first_response_at", "sla_due_at"]
        _sla_event(conv)
    conv.save(update_fields=fields)


def canned_fill(*, actor: User, conversation_id: int, reply_id: int) -> str:
    """A canned reply's text for the compose box, its variables filled for this chat ({客户姓名} from
    the linked customer or the name the visitor gave, {处理人}, and the ticket's when the chat has
    one). Counts a use of the reply. Nothing is sent: the agent edits and sends it."""
    conv = Conversation.objects.select_related("visitor__customer", "ticket").filter(pk=conversation_id).first()
    if conv is None:
        raise NotFound(code=ChatErrorCode.NOT_FOUND, message=_("Conversation not found."))
    _may_handle(actor, conv)
    ticket_number = conv.ticket.number if conv.ticket_id and conv.ticket and conv.ticket.assignee_id == actor.pk else None
    text = reply_fill(actor=actor, reply_id=reply_id, ticket_number=ticket_number)
    visitor = conv.visitor
    name = visitor.customer.name if visitor.customer_id and visitor.customer else visitor.name
    return fill_variables(text, {"客户姓名": name, "处理人": actor.name})


def agent_typing_event(conversation_id: int) -> dict[str, Any]:
    return {"type": "typing", "conversation": conversation_id, "who": "agent"}


def _receiver_free(user_id: int) -> int:
    """Free chat slots of an agent who may receive a chat now (online, takes chats): capacity less
    active chats and pending offers, the load the offers count (kefu.chat.offers). -1: they may not
    take chats at all (offline, inactive, a QA role)."""
    slots = _slots(only=user_id)
    return slots[0].free if slots else -1


def conversation_transfer(*, actor: User, conversation_id: int, to_user_id: int | None = None,
                          to_team_id: int | None = None, note: str = "") -> Conversation:
    """Hand the chat to another agent, or to a team (its least busy online agent with a free slot),
    with a note only agents see. The receiver's capacity is checked under their row lock, as for an
    offer: active chats plus pending offers must leave a free slot (409 at_capacity), and they must be
    online and take chats (no_such_agent / agent_offline)."""
    with transaction.atomic():
        conv = _locked(conversation_id)
        _may_handle(actor, conv)
        if conv.status != ConversationStatus.ACTIVE:
            raise DomainError(code=ChatErrorCode.CONVERSATION_ENDED, message=_("Only an ongoing chat can be transferred."),
                              status=409)
        if to_team_id is not None and not to_user_id:
            team = Team.objects.filter(pk=to_team_id, is_active=True).first()
            if team is None:
                raise DomainError(code=ChatErrorCode.NO_SUCH_TEAM, message=_("Choose an active team."))
            members = User.objects.filter(team=team, is_active=True).exclude(pk=actor.pk).values_list("pk", flat=True)
            chosen = pick([slot for slot in _slots() if slot.id in set(members)])
            if chosen is None:
                raise Conflict(code=ChatErrorCode.AT_CAPACITY,
                               message=_("Nobody in %(team)s can take another chat now.") % {"team": team.name})
            to_user_id = chosen[0]
        target = User.objects.filter(pk=to_user_id or 0, is_active=True, role__in=CHAT_ROLES).first()
        if target is None or target.pk == actor.pk:
            raise DomainError(code=ChatErrorCode.NO_SUCH_AGENT, message=_("Choose another active agent."))
        # The receiver's row lock: two chats transferred to them at once cannot both take the last slot.
        User.objects.select_for_update().filter(pk=target.pk).values_list("pk", flat=True).first()
        free = _receiver_free(target.pk)
        if free < 0:
            raise Conflict(code=ChatErrorCode.AGENT_OFFLINE,
                           message=_("%(agent)s is not online for chats.") % {"agent": target.name})
        if free == 0:
            raise Conflict(code=ChatErrorCode.AT_CAPACITY,
                           message=_("%(agent)s has as many chats as they take at once.") % {"agent": target.name})
        conv.assignee = target
        conv.save(update_fields=["assignee"])
        _post(conv, sender=Sender.SYSTEM, body=_("Transferred from %(a)s to %(b)s: %(note)s") % {
            "a": actor.name, "b": target.name, "note": note.strip()[:300] or "-"}, internal=True, author=actor)
        _post(conv, sender=Sender.SYSTEM, body=_("%(agent)s is here to help you.") % {"agent": target.name})
        _status_event(conv)
        push_on_commit(group_name("user", target.pk), {"type": "chat.transferred", "conversation": conv.pk,
                                                       "from": actor.name})
        push_on_commit(group_name("user", actor.pk), {"type": "chat.transferred", "conversation": conv.pk,
                                                      "to": target.name})
    return conv


def conversation_end(*, actor: User, conversation_id: int, resolved: bool = False) -> Conversation:
    """The agent ends the chat, `resolved` or not (see _end for the ticket it leaves)."""
    with transaction.atomic():
        conv = _locked(conversation_id)
        _may_handle(actor, conv)
        return _end(conv, by=actor, resolved=resolved)


def _end(conv: Conversation, *, by: User | None, resolved: bool = False, leave_ticket: bool = True) -> Conversation:
    """End the chat (locked). A chat that reached a person (handed over by the bot) and ends
    unresolved leaves a ticket: its ticket gets the whole transcript as a note and stays open, or a
    new chat ticket is opened with the transcript (the agent's, or routed like a customer's when the
    visitor left before anyone answered). A resolved chat resolves its ticket. A chat the bot kept to
    itself leaves none."""
    if conv.status == ConversationStatus.ENDED:
        return conv
    was_active = conv.status == ConversationStatus.ACTIVE
    conv.status = ConversationStatus.ENDED
    conv.ended_at = timezone.now()
    conv.sla_due_at = None
    conv.resolved = resolved
    conv.save(update_fields=["status", "ended_at", "sla_due_at", "resolved"])
    offer = conv.offers.filter(status=OfferStatus.PENDING).first()
    if offer is not None:
        _close_offer(offer, OfferStatus.WITHDRAWN, conv.ended_at)
    if was_active or offer is not None:
        # A chat slot came free: offer the queue's oldest chats.
        transaction.on_commit(offers_drain)
    _post(conv, sender=Sender.SYSTEM, body=_("The conversation has ended. How did we do?"),
          meta={"rate": rating_request(conv)}, author=by)
    _status_event(conv)
    if leave_ticket and conv.waiting_since is not None:
        _ticket_at_end(conv, by=by, resolved=resolved)
    return conv


def _ticket_at_end(conv: Conversation, *, by: User | None, resolved: bool) -> None:
    staff = by if by is not None else (conv.assignee if conv.assignee_id else None)
    ticket = Ticket.objects.filter(pk=conv.ticket_id).first() if conv.ticket_id else None
    if ticket is None and resolved:
        return  # solved in the chat: the chat itself is the contact's record
    text = transcript(conv)
    if ticket is None:
        first = conv.messages.filter(sender=Sender.VISITOR).exclude(body__in=("转人工", "人工")).order_by("seq").first()
        title = (first.body if first else _("Online chat"))[:60]
        data = TicketInput(title=title, description=text, channel=Channel.CHAT, customer=conv.visitor.customer,
                           contact_phone=conv.visitor.phone, assignee=staff if staff and staff.is_active else None)
        ticket = ticket_create(actor=by, by_customer=by is None, data=data)
        conv.ticket = ticket
        conv.save(update_fields=["ticket"])
    elif staff is not None:
        ticket_add_message(actor=staff, number=ticket.number, kind=MessageKind.NOTE,
                           body=_("Chat transcript:") + "\n" + text)
        if resolved and ticket.status in TICKET_OPEN:
            ticket_change_status(actor=staff, number=ticket.number, status=TicketStatus.RESOLVED,
                                 comment=_("Resolved in the chat."))
    push_on_commit(group_name("conv", conv.pk), {"type": "ticket", "conversation": conv.pk, "number": ticket.number})


def transcript(conv: Conversation, *, internal: bool = False) -> str:
    lines = []
    for m in conv.messages.select_related("author").order_by("seq"):
        if m.internal and not internal:
            continue
        who = {Sender.VISITOR: conv.visitor.label, Sender.BOT: _("Bot"), Sender.SYSTEM: _("System")}.get(  # type: ignore[call-overload]
            m.sender, m.author.name if m.author else _("Agent"))
        lines.append(f"[{timezone.localtime(m.created_at):%H:%M}] {who}: {m.body}")
    return "\n".join(lines)


def conversation_to_ticket(*, actor: User, conversation_id: int, number: str = "") -> Ticket:
    """Open a ticket from the chat, with the transcript as its description, or (`number`) add the
    transcript to an existing ticket as an internal note. The conversation links to the ticket."""
    with transaction.atomic():
        conv = _locked(conversation_id)
        _may_handle(actor, conv)
        text = transcript(conv)
        if number:
            ticket_add_message(actor=actor, number=number, kind=MessageKind.NOTE,
                               body=_("Chat transcript:") + "\n" + text)
            ticket = Ticket.objects.get(number=number)
        elif conv.ticket_id:
            assert conv.ticket is not None
            return conv.ticket
        else:
            first = conv.messages.filter(sender=Sender.VISITOR).order_by("seq").first()
            title = (first.body if first else _("Online chat"))[:60]
            ticket = ticket_create(actor=actor, data=TicketInput(
                title=title, description=text, channel=Channel.CHAT, customer=conv.visitor.customer,
                contact_phone=conv.visitor.phone, assignee=actor))
        conv.ticket = ticket
        conv.save(update_fields=["ticket"])
        push_on_commit(group_name("conv", conv.pk), {"type": "ticket", "conversation": conv.pk,
                                                     "number": ticket.number})
    return ticket


def offline_message(*, visitor: Visitor, conversation_id: int, name: str, phone: str, body: str) -> Ticket:
    """The offline form (nobody on duty): becomes a ticket the customer submitted."""
    body = (body or "").strip()
    if not body:
        raise DomainError(code=ChatErrorCode.EMPTY_MESSAGE, message=_("Write something first."))
    with transaction.atomic():
        conv = _locked(conversation_id)
        if conv.visitor_id != visitor.pk:
            raise NotFound(code=ChatErrorCode.NOT_FOUND, message=_("Conversation not found."))
        visitor_identify(visitor=visitor, name=name, phone=phone)
        ticket = ticket_create(actor=None, by_customer=True, data=TicketInput(
            title=body[:60], description=transcript(conv) + "\n\n" + body[:settings.KEFU_CHAT_MAX_MESSAGE],
            channel=Channel.CHAT, customer=visitor.customer, contact_phone=visitor.phone))
        conv.ticket = ticket
        conv.save(update_fields=["ticket"])
        _end(conv, by=None, leave_ticket=False)  # the form's ticket is the one it leaves
    return ticket
