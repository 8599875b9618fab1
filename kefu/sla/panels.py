"""What the SLA app adds to the ticket's page, list and API (registered in SlaConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from kefu.sla.selectors import attach_sla, sla_events_for, sla_filter_q, sla_panel, ticket_sla_targets
from kefu.tickets.models import Ticket
from kefu.tickets.panels import (
    Slot,
    TimelineItem,
    register_api_field,
    register_list_annotator,
    register_list_filter,
    register_panel,
    register_timeline,
)


def sla_api(ticket: Ticket) -> list[dict[str, Any]]:
    """The `sla` field of a ticket in the API: the targets a list annotator attached, else loaded."""
    views = getattr(ticket, "sla_targets_view", None)
    if views is None:
        views = ticket_sla_targets(ticket=ticket)
    return [
        {
            "target": v.target,
            "state": v.state,
            "paused": v.paused,
            "due_at": v.due_at,
            "achieved_at": v.achieved_at,
            "target_minutes": v.target_minutes,
            "remaining_business_seconds": v.remaining_seconds,
            "breached": v.breached,
            "cycle": v.cycle,
        }
        for v in views
    ]


def _timeline(ticket: Ticket) -> list[TimelineItem]:
    # Warnings, breaches and escalations (the clock's SlaEvent rows) read in the ticket's timeline.
    return [
        TimelineItem(
            at=e.fired_at, template="sla/_timeline_event.html", item=e,
            api={
                "kind": f"sla_{e.kind}",
                "data": {"target": e.target, "level": e.level, "cycle": e.cycle, "late": e.late,
                         "moment": e.moment.isoformat(), **e.data},
            },
        )
        for e in sla_events_for(ticket=ticket)
    ]


def _panel(_request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
    return {"sla": SimpleLazyObject(lambda: sla_panel(ticket=ticket))}


def register_all() -> None:
    register_api_field("sla", sla_api)
    register_list_filter("sla", sla_filter_q)
    register_list_annotator("sla", lambda tickets: attach_sla(tickets))
    register_timeline("sla", _timeline)
    register_panel(name="sla.time_limits", slot=Slot.SIDE, order=20, template="sla/_ticket_panel.html", context=_panel,
                   region="ticket-sla")
