"""What appointments add to the customer's page: counts (no-shows among them), the coming and latest
appointments, walk-ins, and the open maintenance reminders with their one-step booking."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest

from kefu.accounts.models import User
from kefu.appointments import selectors
from kefu.customers.models import Customer
from kefu.customers.sections import register_section


def _visits(request: HttpRequest, customer: Customer) -> dict[str, Any] | None:
    visits = selectors.customer_visits(viewer=cast(User, request.user), customer_id=customer.pk)
    if visits is None:
        return None
    return {"customer": customer, "visits": visits}


def register_all() -> None:
    register_section(name="appointments.visits", order=25, template="appointments/_customer_visits.html", context=_visits)
