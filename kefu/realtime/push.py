"""The product's one push mechanism: send an event to a group of sockets.

Groups are named `<kind>.<key>` (`user.7`, `team.2`, `ticket.41`, `conv.9`). Every socket of a
logged-in agent is in its `user.<id>` and `team.<id>` groups and joins topic groups it asks for
(kefu.realtime.topics decides who may). The layer is Django Channels': in memory inside one process
by default, Redis (KEFU_REDIS_URL) so that several web processes share it.

Push is a notification, never the record: whatever is pushed was committed first (callers use
`push_on_commit`), and a client that missed a push reads the database again (chat messages carry
per-conversation sequence numbers for that). So a failed push is logged, not raised.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger("kefu.realtime")

# What a Channels group name may contain (ASCII letters, digits, hyphen, underscore, period; < 100).
_GROUP = re.compile(r"^[A-Za-z0-9._-]{1,99}$")
EVENT_TYPE = "push.event"  # the consumer method that forwards an event to the browser


def group_name(kind: str, key: int | str) -> str:
    name = f"{kind}.{key}"
    if not _GROUP.match(name):
        raise ValueError(f"not a valid group name: {name!r}")
    return name


def push(group: str, event: dict[str, Any]) -> bool:
    """Send `event` (JSON-able, with a "type") to every socket in `group` now. Call from sync code
    outside a transaction (or use push_on_commit). Returns False when the layer refused it."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(group, {"type": EVENT_TYPE, "event": event})
    except Exception:  # the record is in the database; the client catches up on reconnect
        log.exception("push to %s failed", group)
        return False
    return True


async def apush(group: str, event: dict[str, Any]) -> bool:
    """push() for async code (consumers)."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        await layer.group_send(group, {"type": EVENT_TYPE, "event": event})
    except Exception:
        log.exception("push to %s failed", group)
        return False
    return True


def push_on_commit(group: str, event: dict[str, Any]) -> None:
    """Push once the surrounding transaction commits (at once when there is none)."""
    transaction.on_commit(lambda: push(group, event))
