"""{% sla_badge ticket %}: the countdown badge of a ticket's nearest due target (set by attach_sla)."""

from __future__ import annotations

from typing import Any

from django import template

from kefu.sla.models import SlaEvent
from kefu.sla.selectors import sla_event_text

register = template.Library()


@register.inclusion_tag("sla/_badge.html")
def sla_badge(ticket: Any) -> dict[str, Any]:
    return {"view": getattr(ticket, "sla_badge", None)}


@register.simple_tag
def sla_event_line(event: SlaEvent) -> str:
    return sla_event_text(event)
