"""What AI triage adds to the ticket page (registered in TriageConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kefu.tickets.models import Ticket
from kefu.tickets.panels import Slot, register_panel


def _loader(_request: HttpRequest, _ticket: Ticket) -> dict[str, Any]:
    return {}  # the panel loads itself (triage:ticket_panel) after the page: no query on the page


def register_all() -> None:
    register_panel(
        name="triage.suggestions", slot=Slot.SIDE, order=15, template="triage/_ticket_panel_loader.html",
        context=_loader,
    )
