"""The agents' push socket, /ws/push/: one per open page of a logged-in staff member.

On connect it joins `user.<id>` and `team.<team id>`; the page may then subscribe to topics
(`ticket.41`, `conv.9`) that kefu.realtime.topics allows. Every pushed event goes to the browser as
JSON {"type": ..., ...}. A socket of an anonymous or inactive user is closed with 4401.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from kefu.accounts.models import User
from kefu.realtime import topics
from kefu.realtime.push import group_name

CLOSE_UNAUTHORISED = 4401
MAX_TOPICS = 50


class PushConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    user: User
    joined: set[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        self.user = user
        self.joined = set()
        await self.accept()
        await self._join(group_name("user", user.pk))
        if user.team_id:
            await self._join(group_name("team", user.team_id))
        await self.send_json({"type": "hello", "user": user.pk})

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "joined", set()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        topic = str(content.get("topic", ""))[:99]
        if kind == "subscribe":
            allowed = len(self.joined) < MAX_TOPICS and await database_sync_to_async(topics.may_join)(self.user, topic)
            if allowed:
                await self._join(topic)
            await self.send_json({"type": "subscribed" if allowed else "refused", "topic": topic})
        elif kind == "unsubscribe" and topic in self.joined:
            self.joined.discard(topic)
            await self.channel_layer.group_discard(topic, self.channel_name)
        elif kind == "ping":
            await self.send_json({"type": "pong"})

    async def push_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    async def _join(self, group: str) -> None:
        self.joined.add(group)
        await self.channel_layer.group_add(group, self.channel_name)
