"""What customer care adds to the customer's page: points (balance, next expiry, history, earn and
redeem), the care preferences (birthday, opt-out) and the latest care messages."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from django.urls import reverse

from kefu.accounts.models import User
from kefu.care import selectors
from kefu.care.access import is_staff_member, points_token
from kefu.care.forms import EarnForm, PrefsForm, SpendForm
from kefu.customers.models import Customer
from kefu.customers.sections import register_section


def _care(request: HttpRequest, customer: Customer) -> dict[str, Any] | None:
    viewer = cast(User, request.user)
    if not is_staff_member(viewer):
        return None
    summary = selectors.points_summary(viewer=viewer, customer_id=customer.pk, limit=20)
    messages = selectors.customer_messages(viewer=viewer, customer_id=customer.pk)
    return {
        "customer": customer,
        "points": summary,
        "earn_form": EarnForm(),
        "spend_form": SpendForm(rewards=selectors.rewards_listed()),
        "prefs_form": PrefsForm(initial={"birthday": customer.birthday, "care_opt_out": customer.care_opt_out}),
        "messages": [(m, selectors.shown_address(m, viewer)) for m in messages],
        "portal_link": (
            request.build_absolute_uri(reverse("care:portal_points", kwargs={"token": points_token(summary.account)}))
            if summary and summary.account else ""
        ),
    }


def register_all() -> None:
    register_section(name="care.points", order=30, template="care/_customer_care.html", context=_care)
