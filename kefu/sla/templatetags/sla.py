"""{% sla_badge ticket %}: the countdown badge of a ticket's nearest due target (set by attach_sla)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from kefu.sla.models import SlaEvent
from kefu.sla.selectors import sla_event_text

register = template.Library()


@register.inclusion_tag("sla/_badge.html")
def sla_badge(ticket: Any, oob: bool = False) -> dict[str, Any]:
    return {"view": getattr(ticket, "sla_badge", None), "ticket_id": ticket.pk, "oob": oob}


@register.simple_tag
def sla_badges_url(tickets: Iterable[Any]) -> str:
    """The URL that refreshes the badges of these tickets (`sla:badges?t=1&t=2…`); "" when none."""
    ids = [t.pk for t in tickets]
    return f"{reverse('sla:badges')}?{urlencode([('t', pk) for pk in ids])}" if ids else ""


@register.simple_tag
def sla_event_line(event: SlaEvent) -> str:
    return sla_event_text(event)
