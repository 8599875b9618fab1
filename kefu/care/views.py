"""Staff pages (the care desk: outbox, rules, rewards, templates, holiday dates; the customer page's
points forms) and the customer's points page behind a signed link."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kefu.accounts.models import User
from kefu.care import ledger, occasions, selectors, services
from kefu.care.access import access_account_by_token, may_set_up, require_staff
from kefu.care.choices import Occasion
from kefu.care.forms import EarnForm, HolidayForm, PrefsForm, RewardForm, RuleForm, SpendForm, TemplateForm
from kefu.core.errors import DomainError
from kefu.core.htmx import FORM_ERROR_STATUS, add_domain_error
from kefu.customers.selectors import customer_get
from kefu.customers.services import customer_update


def _staff(request: HttpRequest) -> User:
    return cast(User, request.user)


def _upcoming(days: int = 400) -> list[tuple[str, object]]:
    today = timezone.localdate()
    configured = services.configured_dates()
    labels = dict(Occasion.choices)
    out = []
    for year in (today.year, today.year + 1):
        for occasion in occasions.PRECEDENCE[1:]:
            day = occasions.holiday_date(occasion, year, configured)
            if day and today <= day <= today + timedelta(days=days):
                out.append((str(labels[occasion]), day))
    return sorted(out, key=lambda x: x[1])  # type: ignore[arg-type, return-value]


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    viewer = require_staff(_staff(request))
    forms = {"rule": RuleForm(), "reward": RewardForm(), "template": TemplateForm(), "holiday": HolidayForm()}
    status = 200
    if request.method == "POST":
        what = request.POST.get("what", "")
        form_class = {"rule": RuleForm, "reward": RewardForm, "template": TemplateForm, "holiday": HolidayForm}.get(what)
        if form_class is not None:
            form = form_class(request.POST)
            forms[what] = form
            status = FORM_ERROR_STATUS
            if form.is_valid():
                data = form.cleaned_data
                try:
                    if what == "rule":
                        ledger.earn_rule_set(actor=viewer, kind=data["kind"], points=data["points"], per_amount=data["per_amount"], valid_days=data["valid_days"])
                    elif what == "reward":
                        ledger.reward_create(actor=viewer, name=data["name"], cost=data["cost"], stock=data["stock"])
                    elif what == "template":
                        services.greeting_template_set(actor=viewer, occasion=data["occasion"], channel=data["channel"], subject=data["subject"], body=data["body"])
                    else:
                        services.holiday_date_set(actor=viewer, occasion=data["occasion"], day=data["date"])
                except DomainError as exc:
                    add_domain_error(form, exc)
                    status = exc.status if exc.status in (403, 409) else FORM_ERROR_STATUS
                else:
                    messages.success(request, _("Saved."))
                    return redirect("care:home")
    outbox = [(m, selectors.shown_address(m, viewer)) for m in selectors.messages_list(viewer=viewer, limit=50)]
    context = {
        "rules": selectors.rules_active(), "rewards": selectors.rewards_listed(), "templates": selectors.templates_active(),
        "upcoming": _upcoming(), "outbox": outbox, "forms": forms, "may_setup": may_set_up(viewer),
    }
    return render(request, "care/home.html", context, status=status)


def _back(customer_id: int) -> HttpResponse:
    return redirect(reverse("customers:detail", kwargs={"customer_id": customer_id}) + "#customer-care")


@login_required
@require_POST
def earn(request: HttpRequest, customer_id: int) -> HttpResponse:
    form = EarnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the amount and try again."))
        return _back(customer_id)
    try:
        result = ledger.points_earn(
            actor=_staff(request), customer_id=customer_id, kind=form.cleaned_data["kind"], amount=form.cleaned_data["amount"],
            note=form.cleaned_data["note"], idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(points)s points added.") % {"points": result.entry.points})
    return _back(customer_id)


@login_required
@require_POST
def spend(request: HttpRequest, customer_id: int) -> HttpResponse:
    form = SpendForm(request.POST, rewards=selectors.rewards_listed())
    if not form.is_valid():
        messages.error(request, _("Choose a listed reward."))
        return _back(customer_id)
    try:
        result = ledger.points_spend(
            actor=_staff(request), customer_id=customer_id, reward_id=form.cleaned_data["reward"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Redeemed: %(reward)s.") % {"reward": result.entry.note})
    return _back(customer_id)


@login_required
@require_POST
def prefs(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get(viewer=_staff(request), customer_id=customer_id)
    form = PrefsForm(request.POST)
    if customer is not None and form.is_valid():
        customer_update(actor=_staff(request), customer=customer, birthday=form.cleaned_data["birthday"], care_opt_out=form.cleaned_data["care_opt_out"])
        messages.success(request, _("Saved."))
    else:
        messages.error(request, _("Check the birthday and try again."))
    return _back(customer_id)


# --- the customer's points page ------------------------------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "same-origin"
    return response


@require_http_methods(["GET", "POST"])
def portal_points(request: HttpRequest, token: str) -> HttpResponse:
    try:
        account = access_account_by_token(token)
    except DomainError as exc:
        return _private(render(request, "care/portal/invalid.html", {"message": exc.message}, status=404))
    rewards = selectors.rewards_listed()
    form = SpendForm(request.POST or None, rewards=rewards)
    status = 200
    if request.method == "POST":
        status = FORM_ERROR_STATUS
        if form.is_valid():
            try:
                ledger.points_spend_by_customer(account=account, reward_id=form.cleaned_data["reward"], idempotency_key=form.cleaned_data["idempotency_key"])
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status if exc.status == 409 else FORM_ERROR_STATUS
            else:
                messages.success(request, _("Redeemed. Show this page at the service desk to collect it."))
                return redirect("care:portal_points", token=token)
    summary = selectors.points_summary_of(customer_id=account.customer_id, limit=50)
    context = {"customer": account.customer, "points": summary, "rewards": rewards, "form": form}
    return _private(render(request, "care/portal/points.html", context, status=status))
