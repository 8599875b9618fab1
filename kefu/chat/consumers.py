"""The visitor's chat socket, /ws/chat/ (the widget and the mobile page).

The widget may sit on any site, so this socket never reads the session: the visitor is whoever the
signed token in the first message names (a new anonymous visitor when there is none). Protocol, JSON:

  → {"type": "hello", "token"?, "after"?: last seq seen, "name"?, "phone"?, "page"?}
  ← {"type": "hello", "token", "conversation", "status", "queue", "messages": [after `after`]}
  → {"type": "send", "body", "client_id"}     ← {"type": "ack", "client_id", "seq"} and pushes
  → {"type": "typing"} / {"type": "read", "seq"} / {"type": "end"} / {"type": "rate", "score", "comment", "reasons"}
  → {"type": "offline", "name", "phone", "body"}   (nobody on duty: becomes a ticket)
  ← {"type": "message" | "status" | "typing" | "read" | "error", ...}

Messages are stored before anything is pushed; after a reconnect the client says hello with the last
seq it saw and gets what it missed. A bad token closes the socket with 4401.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override

from kefu.chat import selectors, services
from kefu.chat.models import Conversation, Visitor
from kefu.core.errors import DomainError
from kefu.realtime.push import apush, group_name

CLOSE_BAD_TOKEN = 4401
NEW_VISITORS_PER_IP_PER_MINUTE = 20
FRAMES_PER_MINUTE = 240


def _hello(token: str, after: int, name: str, phone: str, page: str, ip: str) -> dict[str, Any]:
    if token:
        visitor = services.visitor_from_token(token)
    else:
        services.rate_check(f"ip{ip}", NEW_VISITORS_PER_IP_PER_MINUTE)
        visitor = services.visitor_start(name=name, phone=phone)
    if (name or phone) and token:
        services.visitor_identify(visitor=visitor, name=name or visitor.name, phone=phone or visitor.phone)
    conv, created = services.conversation_open(visitor=visitor, page_url=page)
    messages = selectors.messages_after(conversation=conv, after=0 if created else after)
    return {
        "type": "hello", "token": services.visitor_token(visitor), "conversation": conv.pk, "status": conv.status,
        "queue": services.queue_position(conv), "visitor": visitor.pk,
        "messages": [services.message_json(m) for m in messages],
        "_visitor": visitor, "_conv": conv,
    }


class VisitorConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    visitor: Visitor | None = None
    conversation_id: int | None = None

    async def connect(self) -> None:
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.conversation_id is not None:
            await self.channel_layer.group_discard(group_name("visitor", self.conversation_id), self.channel_name)

    @property
    def ip(self) -> str:
        client = self.scope.get("client") or ("", 0)
        return str(client[0])

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        with override(settings.LANGUAGE_CODE):
            try:
                await database_sync_to_async(services.rate_check)(f"frames{self.channel_name}", FRAMES_PER_MINUTE)
                if kind == "hello":
                    await self._on_hello(content)
                elif self.visitor is None or self.conversation_id is None:
                    await self.send_json({"type": "error", "code": "hello_first", "message": _("Say hello first.")})
                else:
                    await self._on_message(kind, content)
            except DomainError as exc:
                await self.send_json({"type": "error", "code": exc.code, "message": str(exc.message),
                                      "client_id": str(content.get("client_id", ""))[:64]})
                if exc.code == "bad_token":
                    await self.close(code=CLOSE_BAD_TOKEN)

    async def _on_hello(self, content: dict[str, Any]) -> None:
        after = content.get("after")
        hello = await database_sync_to_async(_hello)(
            str(content.get("token") or "")[:500], after if isinstance(after, int) else 0,
            str(content.get("name") or "")[:64], str(content.get("phone") or "")[:32],
            str(content.get("page") or "")[:300], self.ip,
        )
        self.visitor = hello.pop("_visitor")
        conv: Conversation = hello.pop("_conv")
        if self.conversation_id is not None and self.conversation_id != conv.pk:
            await self.channel_layer.group_discard(group_name("visitor", self.conversation_id), self.channel_name)
        self.conversation_id = conv.pk
        await self.channel_layer.group_add(group_name("visitor", conv.pk), self.channel_name)
        await self.send_json(hello)

    async def _on_message(self, kind: Any, content: dict[str, Any]) -> None:
        assert self.visitor is not None and self.conversation_id is not None
        conv_id, visitor = self.conversation_id, self.visitor
        if kind == "send":
            client_id = str(content.get("client_id") or "")[:64]
            msgs = await database_sync_to_async(services.visitor_send)(
                visitor=visitor, conversation_id=conv_id, body=str(content.get("body") or "")[:100_000],
                client_id=client_id)
            await self.send_json({"type": "ack", "client_id": client_id, "seq": msgs[0].seq})
        elif kind == "typing":
            await apush(group_name("conv", conv_id), {"type": "typing", "conversation": conv_id, "who": "visitor"})
        elif kind == "read" and isinstance(content.get("seq"), int):
            await database_sync_to_async(services.visitor_read)(visitor=visitor, conversation_id=conv_id,
                                                                seq=content["seq"])
        elif kind == "end":
            await database_sync_to_async(services.visitor_end)(visitor=visitor, conversation_id=conv_id)
        elif kind == "rate":
            score = content.get("score")
            await database_sync_to_async(services.visitor_rate)(
                visitor=visitor, conversation_id=conv_id, score=score if isinstance(score, int) else 0,
                comment=str(content.get("comment") or "")[:500],
                reasons=[str(r)[:64] for r in content.get("reasons") or [] if isinstance(r, str)][:12]
                if isinstance(content.get("reasons"), list) else [])
            await self.send_json({"type": "rated", "score": score})
        elif kind == "offline":
            ticket = await database_sync_to_async(services.offline_message)(
                visitor=visitor, conversation_id=conv_id, name=str(content.get("name") or "")[:64],
                phone=str(content.get("phone") or "")[:32], body=str(content.get("body") or "")[:5000])
            await self.send_json({"type": "offline_saved", "number": ticket.number})
        elif kind == "ping":
            await self.send_json({"type": "pong"})

    async def push_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])
