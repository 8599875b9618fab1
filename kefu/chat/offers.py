"""Who gets a waiting chat next (pure: no ORM, table-tested in tests/test_offers.py).

A VIP customer's account manager first, when they are online with a free chat slot and have not
already passed on this chat; otherwise the online agent with the fewest chats (active plus offered),
the one idle longest among equals. An agent at capacity (active + offered ≥ chats at once) gets no
offer; an agent who declined the chat, or let its offer run out, is not offered it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from kefu.chat.choices import OfferReason


@dataclass(frozen=True)
class AgentSlot:
    id: int
    capacity: int
    active: int  # chats with the agent now
    pending: int  # chats offered to the agent and not yet answered
    idle_since: datetime | None = None  # their last accept (None: never, comes first)

    @property
    def free(self) -> int:
        return self.capacity - self.active - self.pending

    @property
    def load(self) -> int:
        return self.active + self.pending


def pick(agents: Iterable[AgentSlot], *, manager_id: int | None = None,
         passed: frozenset[int] = frozenset()) -> tuple[int, OfferReason] | None:
    """(agent id, why) of the agent to offer the chat to, or None when nobody may take it."""
    free = [a for a in agents if a.free > 0 and a.id not in passed]
    if manager_id is not None:
        for a in free:
            if a.id == manager_id:
                return a.id, OfferReason.ACCOUNT_MANAGER
    if not free:
        return None
    best = min(free, key=lambda a: (a.load, a.idle_since is not None, a.idle_since or datetime.min, a.id))
    return best.id, OfferReason.LEAST_BUSY
