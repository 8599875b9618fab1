"""Emergency plans and incidents (应急预案): the list, a plan with its levels and the activation
button, an incident's page (notices, checklist, timeline, level, close, review), the monthly summary."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import User
from kefu.core.errors import DomainError
from kefu.operations import selectors, services, stock
from kefu.operations.access import may_lead
from kefu.operations.forms import ActivateForm, LevelForm, MessageForm, RequisitionForm, ReviewForm
from kefu.operations.models import Material, Store


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {
        "plans": selectors.plan_list(viewer=user),
        "incidents": selectors.incident_list(viewer=user, limit=50),
        "alerts": selectors.my_open_notices(viewer=user),
        "may_lead": may_lead(user),
    }
    return render(request, "operations/index.html", context)


@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = selectors.plan_detail(viewer=_user(request), plan_id=plan_id)
    if plan is None:
        raise Http404
    return render(request, "operations/plan.html", {"plan": plan, "form": ActivateForm(), "may_lead": may_lead(_user(request))})


@login_required
@require_POST
def activate(request: HttpRequest, plan_id: int) -> HttpResponse:
    form = ActivateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the response level."))
        return redirect("operations:plan", plan_id=plan_id)
    try:
        incident = services.incident_activate(
            actor=_user(request), plan_id=plan_id, level=form.cleaned_data["level"], title=form.cleaned_data["title"],
            is_drill=form.cleaned_data["is_drill"],
        )  # fmt: skip
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("operations:plan", plan_id=plan_id)
    messages.success(request, _("Plan activated: the chain has been notified."))
    return redirect("operations:incident", incident_id=incident.pk)


def _incident_page(request: HttpRequest, incident_id: int, *, review: ReviewForm | None = None, status: int = 200) -> HttpResponse:
    user = _user(request)
    incident = selectors.incident_detail(viewer=user, incident_id=incident_id)
    if incident is None:
        raise Http404
    notices = list(incident.notices.all())
    steps = list(incident.steps.all())
    context = {
        "incident": incident,
        "notices": notices,
        "mine": next((n for n in notices if n.user_id == user.pk), None),
        "steps": steps,
        "steps_done": sum(1 for s in steps if s.done_at),
        "events": list(incident.events.all()),
        "review": getattr(incident, "review", None),
        "may_lead": may_lead(user),
        "message_form": MessageForm(),
        "level_form": LevelForm(initial={"level": incident.level}),
        "review_form": review or ReviewForm(),
    }
    return render(request, "operations/incident.html", context, status=status)


@login_required
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _incident_page(request, incident_id)


@login_required
@require_POST
def incident_action(request: HttpRequest, incident_id: int, action: str) -> HttpResponse:
    user = _user(request)
    try:
        if action == "ack":
            services.incident_acknowledge(actor=user, incident_id=incident_id)
        elif action == "step":
            step = request.POST.get("step", "")
            if not step.isdigit():
                raise Http404
            services.incident_step_done(actor=user, incident_id=incident_id, step_id=int(step))
        elif action == "message":
            form = MessageForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Write the message."))
            else:
                services.incident_message(actor=user, incident_id=incident_id, text=form.cleaned_data["text"])
        elif action == "level":
            level_form = LevelForm(request.POST)
            if level_form.is_valid():
                services.incident_change_level(actor=user, incident_id=incident_id, level=level_form.cleaned_data["level"])
        elif action == "close":
            services.incident_close(actor=user, incident_id=incident_id)
        elif action == "review":
            review = ReviewForm(request.POST)
            if not review.is_valid():
                return _incident_page(request, incident_id, review=review, status=422)
            services.review_write(
                actor=user, incident_id=incident_id, key_points=review.cleaned_data["key_points"],
                causes=review.cleaned_data["causes"], actions=review.cleaned_data["actions"],
            )  # fmt: skip
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("operations:incident", incident_id=incident_id)


@login_required
def summary(request: HttpRequest) -> HttpResponse:
    try:
        month = parse_date((request.GET.get("month") or "") + "-01") or timezone.localdate().replace(day=1)
    except ValueError:  # 2026-13: well formed, not a month
        month = timezone.localdate().replace(day=1)
    rows = selectors.monthly_summary(viewer=_user(request), month=month)
    return render(request, "operations/summary.html", {"rows": rows, "month": month})


# --- materials -----------------------------------------------------------------------------------------


@login_required
def materials(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = RequisitionForm(request.POST or None, stores=list(Store.objects.all()), materials=list(Material.objects.all()))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                stock.requisition_create(
                    actor=user, store_id=form.cleaned_data["store"], material_id=form.cleaned_data["material"],
                    quantity=form.cleaned_data["quantity"], reason=form.cleaned_data["reason"],
                )  # fmt: skip
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("Requisition sent for approval."))
                return redirect("operations:materials")
    context = {"stock": selectors.stock_list(viewer=user), "requisitions": selectors.requisition_list(viewer=user),
               "form": form, "may_lead": may_lead(user)}  # fmt: skip
    return render(request, "operations/materials.html", context, status=status)


_REQ_ACTIONS = {
    "approve": lambda u, pk: stock.requisition_decide(actor=u, requisition_id=pk, approve=True),
    "reject": lambda u, pk: stock.requisition_decide(actor=u, requisition_id=pk, approve=False),
    "issue": lambda u, pk: stock.requisition_issue(actor=u, requisition_id=pk),
    "confirm": lambda u, pk: stock.requisition_confirm(actor=u, requisition_id=pk),
    "return": lambda u, pk: stock.requisition_return(actor=u, requisition_id=pk),
}


@login_required
@require_POST
def requisition_action(request: HttpRequest, requisition_id: int, action: str) -> HttpResponse:
    run = _REQ_ACTIONS.get(action)
    if run is None or selectors.requisition_get(viewer=_user(request), requisition_id=requisition_id) is None:
        raise Http404
    try:
        run(_user(request), requisition_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("operations:materials")
