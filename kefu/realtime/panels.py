"""The open ticket page listens for changes made by someone else (kefu/static realtime.js)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kefu.tickets.models import Ticket
from kefu.tickets.panels import Slot, register_panel


def _context(request: HttpRequest, ticket: Ticket) -> dict[str, Any] | None:
    return {"ticket": ticket}


def register_all() -> None:
    register_panel(name="realtime.watch", slot=Slot.SIDE, order=1, template="realtime/_ticket_watch.html",
                   context=_context, region="realtime-watch")
