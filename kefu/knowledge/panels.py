"""What the knowledge app adds to the ticket page (registered in KnowledgeConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kefu.tickets.models import Ticket
from kefu.tickets.panels import Slot, register_panel


def _empty(_request: HttpRequest, _ticket: Ticket) -> dict[str, Any]:
    return {}


def register_all() -> None:
    # Canned replies above the reply box; suggested articles and "save as case" below the customer card.
    register_panel(
        name="knowledge.reply_picker", slot=Slot.COMPOSE, order=10, template="knowledge/_compose_picker.html",
        context=_empty,
    )
    register_panel(
        name="knowledge.suggestions", slot=Slot.SIDE_END, order=10,
        template="knowledge/_ticket_suggestions_loader.html", context=_empty,
    )
    register_panel(
        name="knowledge.case_from_ticket", slot=Slot.SIDE_END, order=20, template="knowledge/_ticket_case_form.html",
        context=_empty,
    )
