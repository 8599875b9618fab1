"""What other apps add to the ticket's pages, lists and API, registered from their AppConfig.ready().

The ticket app renders and serialises these without knowing who registered them:

- panels: a template included on the ticket page in a slot (the side column, the compose box, the
  customer card) with the dict `context(request, ticket)` returns (None hides the panel);
- timeline sources: extra entries (SLA warnings and breaches ...) merged into the ticket's timeline;
- list filters: `?<name>=<value>` on the ticket list and API, answered with a Q;
- list annotators: attach per-row data to a page of tickets with a query or two (SLA badges);
- API fields: extra values on a ticket in the API (`sla`).

    from kefu.tickets.panels import Slot, register_panel
    register_panel(name="quality.score", slot=Slot.SIDE, order=400,
                   template="quality/_ticket_panel.html", context=lambda request, ticket: {...})
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db.models import Q
from django.http import HttpRequest

from kefu.tickets.models import Ticket


class Slot(StrEnum):
    SIDE = "side"  # cards at the top of the ticket page's side column
    SIDE_END = "side_end"  # cards at the bottom of the side column, below the customer card
    COMPOSE = "compose"  # tools above the reply box (canned replies)
    CUSTOMER = "customer"  # inside the customer card (the dissatisfied flag)


PanelContext = Callable[[HttpRequest, Ticket], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    name: str
    slot: Slot
    order: int
    template: str
    context: PanelContext
    region: str | None = None  # the DOM id of the panel's root: an htmx reload of the ticket page with
    # this HX-Target gets the panel alone


@dataclass(frozen=True)
class RenderedPanel:
    name: str
    template: str
    context: dict[str, Any]


@dataclass(frozen=True)
class TimelineItem:
    """One extra timeline entry: rendered with `template`, the object in the template as `item`."""

    at: datetime
    template: str
    item: Any
    api: dict[str, Any] | None = None  # {"kind": ..., "data": {...}} in the API's timeline; None: page only


_panels: dict[str, Panel] = {}
_timeline: dict[str, Callable[[Ticket], Iterable[TimelineItem]]] = {}
_filters: dict[str, Callable[[str], Q]] = {}
_annotators: dict[str, Callable[[list[Ticket]], None]] = {}
_api_fields: dict[str, Callable[[Ticket], Any]] = {}


def register_panel(
    *, name: str, order: int, template: str, context: PanelContext, slot: Slot = Slot.SIDE, region: str | None = None
) -> Panel:
    panel = Panel(name=name, slot=Slot(slot), order=order, template=template, context=context, region=region)
    _panels[name] = panel
    return panel


def panel_for_region(request: HttpRequest, ticket: Ticket, region: str | None) -> RenderedPanel | None:
    """The panel whose root element has DOM id `region`, rendered for `ticket` (None: no such panel,
    or the panel hides itself for this ticket)."""
    panel = next((p for p in _panels.values() if region and p.region == region), None)
    if panel is None:
        return None
    context = panel.context(request, ticket)
    return RenderedPanel(name=panel.name, template=panel.template, context=context) if context is not None else None


def panels_for(request: HttpRequest, ticket: Ticket, slot: Slot) -> list[RenderedPanel]:
    out = []
    for panel in sorted((p for p in _panels.values() if p.slot == slot), key=lambda p: (p.order, p.name)):
        context = panel.context(request, ticket)
        if context is not None:
            out.append(RenderedPanel(name=panel.name, template=panel.template, context=context))
    return out


def panels_by_slot(request: HttpRequest, ticket: Ticket) -> dict[str, list[RenderedPanel]]:
    """Every slot's panels for the ticket page: {"side": [...], "compose": [...], ...}."""
    return {slot.value: panels_for(request, ticket, slot) for slot in Slot}


def register_timeline(name: str, source: Callable[[Ticket], Iterable[TimelineItem]]) -> None:
    _timeline[name] = source


def timeline_items(ticket: Ticket) -> list[TimelineItem]:
    return [item for _name, source in sorted(_timeline.items()) for item in source(ticket)]


def register_list_filter(name: str, make_q: Callable[[str], Q]) -> None:
    _filters[name] = make_q


def list_filter_q(name: str, value: str) -> Q | None:
    make_q = _filters.get(name)
    return make_q(value) if make_q is not None else None


def register_list_annotator(name: str, annotate: Callable[[list[Ticket]], None]) -> None:
    _annotators[name] = annotate


def annotate_list(tickets: list[Ticket]) -> None:
    for _name, annotate in sorted(_annotators.items()):
        annotate(tickets)


def register_api_field(name: str, value: Callable[[Ticket], Any]) -> None:
    _api_fields[name] = value


def api_field(name: str, ticket: Ticket, default: Any = None) -> Any:
    value = _api_fields.get(name)
    return value(ticket) if value is not None else default
