from __future__ import annotations

from typing import Any

from django import template

from kefu.surveys.selectors import open_case_for_customer

register = template.Library()


@register.inclusion_tag("surveys/_dissatisfied_flag.html")
def dissatisfied_flag(customer_id: int | None) -> dict[str, Any]:
    """The archive flag for a ticket's customer (one indexed query): {% dissatisfied_flag ticket.customer_id %}."""
    return {"case": open_case_for_customer(customer_id)}
