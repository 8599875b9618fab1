"""What the dispatch app adds to the ticket page (registered in DispatchConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kefu.tickets.models import Ticket
from kefu.tickets.panels import Slot, register_panel


def _loader(_request: HttpRequest, _ticket: Ticket) -> dict[str, Any]:
    return {}  # the panel loads itself (dispatch:ticket_panel) after the page


def register_all() -> None:
    register_panel(
        name="dispatch.decision", slot=Slot.SIDE, order=10, template="dispatch/_ticket_panel_loader.html",
        context=_loader,
    )
