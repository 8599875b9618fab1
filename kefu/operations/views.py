"""Center operations pages: emergency plans and incidents (应急预案: the list, a plan with its levels
and the activation button, an incident's page, the monthly summary), materials, equipment (devices
with availability, a device's faults, maintenance and history) and budget lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import Team, User
from kefu.core.errors import DomainError
from kefu.operations import budget, equipment, selectors, services, stock
from kefu.operations.access import may_lead, may_manage
from kefu.operations.choices import AlertKind
from kefu.operations.forms import (
    ActivateForm,
    BudgetEntryForm,
    BudgetLineForm,
    DeviceForm,
    FaultForm,
    LevelForm,
    MaintenancePlanForm,
    MessageForm,
    ReallocationForm,
    RequisitionForm,
    ReviewForm,
    RoutingForm,
    TargetForm,
)
from kefu.operations.models import FaultRouting, Material, Store
from kefu.tickets.models import Category


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


# --- equipment -----------------------------------------------------------------------------------------


def _month_param(request: HttpRequest) -> date:
    try:
        return parse_date((request.GET.get("month") or "") + "-01") or timezone.localdate().replace(day=1)
    except ValueError:
        return timezone.localdate().replace(day=1)


def _equipment_context(request: HttpRequest, **forms_: Any) -> dict[str, Any]:
    user = _user(request)
    month = _month_param(request)
    rows = selectors.device_rows(viewer=user, month=month)
    routing = FaultRouting.objects.filter(pk=1).first()
    return {
        "month": month, "rows": rows, "kinds": selectors.kind_rows(rows), "due": selectors.maintenance_due(viewer=user),
        "alerts": selectors.alerts_for(viewer=user, kinds=(AlertKind.AVAILABILITY, AlertKind.MAINTENANCE), unseen=True),
        "may_manage": may_manage(user), "may_lead": may_lead(user), "routing": routing,
        "device_form": forms_.get("device_form") or DeviceForm(), "target_form": forms_.get("target_form") or TargetForm(),
        "routing_form": forms_.get("routing_form") or _routing_form(None, routing),
    }  # fmt: skip


def _routing_form(data: Any, routing: FaultRouting | None = None) -> RoutingForm:
    initial = {"category": routing.category_id, "team": routing.team_id} if routing else None
    return RoutingForm(data, initial=initial, categories=list(Category.objects.filter(is_active=True).order_by("path")),
                       teams=list(Team.objects.filter(is_active=True)))  # fmt: skip


@login_required
def equipment_index(request: HttpRequest) -> HttpResponse:
    return render(request, "operations/equipment.html", _equipment_context(request))


@login_required
@require_POST
def equipment_action(request: HttpRequest, action: str) -> HttpResponse:
    """Managers: add a device, set a kind's target, route faults; mark an alert seen."""
    user = _user(request)
    forms_: dict[str, Any] = {}
    try:
        if action == "device":
            form = DeviceForm(request.POST)
            forms_["device_form"] = form
            if form.is_valid():
                equipment.device_create(actor=user, **form.cleaned_data)
                messages.success(request, _("Device added."))
                return redirect("operations:equipment")
        elif action == "target":
            target = TargetForm(request.POST)
            forms_["target_form"] = target
            if target.is_valid():
                equipment.availability_target_set(actor=user, kind=target.cleaned_data["kind"], target=target.cleaned_data["target"])
                return redirect("operations:equipment")
        elif action == "routing":
            routing = _routing_form(request.POST)
            forms_["routing_form"] = routing
            if routing.is_valid():
                equipment.fault_routing_set(actor=user, category_id=routing.cleaned_data["category"], team_id=routing.cleaned_data["team"])
                return redirect("operations:equipment")
        elif action == "seen" and request.POST.get("alert", "").isdigit():
            equipment.alert_seen(actor=user, alert_id=int(request.POST["alert"]))
            back_to_budget = request.POST.get("next") == "/operations/budget/"
            return redirect("operations:budget" if back_to_budget else "operations:equipment")
        else:
            raise Http404
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        _form_errors(exc, list(forms_.values()), request)
    return render(request, "operations/equipment.html", _equipment_context(request, **forms_), status=422)


def _form_errors(exc: DomainError, forms_: list[Any], request: HttpRequest) -> None:
    """A service's refusal shown on the form it came from: on the field it names, else on top."""
    for form in forms_:
        for name, errors in (exc.fields or {}).items():
            form.add_error(name if name in form.fields else None, errors)
        if not exc.fields:
            form.add_error(None, str(exc.message))
    if not forms_:
        messages.error(request, str(exc.message))


def _device_page(request: HttpRequest, device_id: int, *, fault_form: FaultForm | None = None,
                 plan_form: MaintenancePlanForm | None = None, status: int = 200) -> HttpResponse:  # fmt: skip
    user = _user(request)
    device = selectors.device_detail(viewer=user, device_id=device_id)
    if device is None:
        raise Http404
    context = {
        "device": device, "months": selectors.device_history(device=device), "faults": list(device.faults.all()),
        "plans": list(device.plans.all()), "records": list(device.records.all()), "may_lead": may_lead(user),
        "may_manage": may_manage(user), "fault_form": fault_form or FaultForm(), "plan_form": plan_form or MaintenancePlanForm(),
        "now": timezone.now(),
    }  # fmt: skip
    return render(request, "operations/device.html", context, status=status)


@login_required
def device_detail(request: HttpRequest, device_id: int) -> HttpResponse:
    return _device_page(request, device_id)


@login_required
@require_POST
def device_action(request: HttpRequest, device_id: int, action: str) -> HttpResponse:
    """Leads report faults and mark maintenance done; managers add maintenance plans."""
    user = _user(request)
    if selectors.device_detail(viewer=user, device_id=device_id) is None:
        raise Http404
    try:
        if action == "fault":
            form = FaultForm(request.POST)
            if not form.is_valid():
                return _device_page(request, device_id, fault_form=form, status=422)
            fault = equipment.fault_report(actor=user, device_id=device_id, **form.cleaned_data)
            messages.success(request, _("Fault reported to IT as ticket %(n)s.") % {"n": fault.ticket.number})
        elif action == "plan":
            plan = MaintenancePlanForm(request.POST)
            if not plan.is_valid():
                return _device_page(request, device_id, plan_form=plan, status=422)
            equipment.maintenance_plan_add(actor=user, device_id=device_id, **plan.cleaned_data)
        elif action == "done" and request.POST.get("plan", "").isdigit():
            equipment.maintenance_done(actor=user, plan_id=int(request.POST["plan"]))
            messages.success(request, _("Maintenance recorded."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("operations:device", device_id=device_id)


# --- budget -------------------------------------------------------------------------------------------


def _year_param(request: HttpRequest) -> int:
    text = request.GET.get("year") or ""
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2999 else timezone.localdate().year


def _budget_page(request: HttpRequest, *, status: int = 200, **forms_: Any) -> HttpResponse:
    user = _user(request)
    if not may_manage(user):
        raise PermissionDenied
    year = _year_param(request)
    lines = selectors.budget_lines(viewer=user, year=year)
    context = {
        "year": year, "years": sorted(set(selectors.budget_years(viewer=user)) | {year}), "lines": lines,
        "plan_total": sum((ln.plan for ln in lines), Decimal(0)), "used_total": sum((ln.used for ln in lines), Decimal(0)),
        "reallocations": selectors.reallocations(viewer=user, year=year),
        "alerts": selectors.alerts_for(viewer=user, kinds=(AlertKind.BUDGET,), unseen=True),
        "line_form": forms_.get("line_form") or BudgetLineForm(),
        "entry_form": forms_.get("entry_form") or BudgetEntryForm(lines=lines),
        "realloc_form": forms_.get("realloc_form") or ReallocationForm(lines=lines),
    }  # fmt: skip
    return render(request, "operations/budget.html", context, status=status)


@login_required
def budget_index(request: HttpRequest) -> HttpResponse:
    return _budget_page(request)


@login_required
@require_POST
def budget_action(request: HttpRequest, action: str) -> HttpResponse:
    """Managers: add a line, post a commitment or actual, reallocate between lines."""
    user = _user(request)
    if not may_manage(user):
        raise PermissionDenied
    year = _year_param(request)
    lines = selectors.budget_lines(viewer=user, year=year)
    forms_: dict[str, Any] = {}
    try:
        if action == "line":
            line_form = forms_["line_form"] = BudgetLineForm(request.POST)
            if line_form.is_valid():
                budget.line_create(actor=user, year=year, **line_form.cleaned_data)
        elif action == "entry":
            entry_form = forms_["entry_form"] = BudgetEntryForm(request.POST, lines=lines)
            if entry_form.is_valid():
                d = entry_form.cleaned_data
                budget.entry_post(actor=user, line_id=d["line"], kind=d["kind"], amount=d["amount"], note=d["note"])
        elif action == "reallocate":
            realloc_form = forms_["realloc_form"] = ReallocationForm(request.POST, lines=lines)
            if realloc_form.is_valid():
                d = realloc_form.cleaned_data
                budget.reallocate(actor=user, from_line_id=d["from_line"], to_line_id=d["to_line"], amount=d["amount"], reason=d["reason"])
        else:
            raise Http404
        if all(f.is_valid() for f in forms_.values()):
            messages.success(request, _("Saved."))
            return redirect(f"{reverse('operations:budget')}?year={year}")
    except DomainError as exc:
        _form_errors(exc, list(forms_.values()), request)
    return _budget_page(request, status=422, **forms_)


@login_required
def budget_line(request: HttpRequest, line_id: int) -> HttpResponse:
    line = selectors.budget_line_detail(viewer=_user(request), line_id=line_id)
    if line is None:
        raise Http404
    return render(request, "operations/budget_line.html", {"line": line, "entries": list(line.entries.all())})


@login_required
def budget_returns(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not may_manage(user):
        raise PermissionDenied
    year = _year_param(request)
    return render(request, "operations/budget_returns.html", {"year": year, "rows": selectors.project_returns(viewer=user, year=year)})
