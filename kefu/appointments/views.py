"""Staff pages (the day's board with the confirmation call list and late parts, booking for a
customer) and the customer's pages (book a free time online; change or cancel by the signed link)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kefu.accounts.models import User
from kefu.appointments import selectors, services
from kefu.appointments.access import access_appointment_by_token, appointment_token
from kefu.appointments.forms import CallForm, MoveForm, PickForm, PortalBookForm, StaffBookForm, WalkInForm
from kefu.core.errors import DomainError
from kefu.core.htmx import FORM_ERROR_STATUS, add_domain_error
from kefu.customers.selectors import customer_get


def _staff(request: HttpRequest) -> User:
    """The logged-in staff member (every staff view is behind login_required)."""
    return cast(User, request.user)


def _day(request: HttpRequest) -> date:
    return parse_date(request.GET.get("day") or "") or timezone.localdate()


def _pick(request: HttpRequest, *, portal: bool) -> tuple[PickForm, list, Any, date]:
    service_list = selectors.service_types(portal=portal)
    initial: dict[str, Any] = {"day": timezone.localdate() + timedelta(days=1), "service": service_list[0].pk if service_list else None}
    pick = PickForm(request.GET if "day" in request.GET else None, services=service_list, initial=initial)
    service, day = None, initial["day"]
    if pick.is_bound and pick.is_valid():
        service = next((s for s in service_list if s.pk == pick.cleaned_data["service"]), None)
        day = pick.cleaned_data["day"]
    elif not pick.is_bound and service_list:
        service = service_list[0]
    return pick, service_list, service, day


def _free(service: Any, day: date) -> list[dict]:
    if service is None:
        return []
    resources = {r.pk: r for r in selectors.active_resources()}
    rows = selectors.free_slots(resources=list(resources.values()), service=service, first=day)
    return [{"value": f"{s.resource_id}|{s.start.isoformat()}", "start": s.start, "resource": resources[s.resource_id], "free": s.free} for s in rows]


@login_required
def board(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    week_start = day - timedelta(days=day.weekday())
    context = {
        "day": day,
        "prev": day - timedelta(days=1),
        "next": day + timedelta(days=1),
        "board": selectors.day_board(viewer=_staff(request), day=day),
        "calls": selectors.calls_due(viewer=_staff(request)),
        "late": selectors.late_parts(viewer=_staff(request)),
        "share": selectors.source_share(viewer=_staff(request), first=week_start),
        "week": selectors.week_share(viewer=_staff(request), first=week_start),
        "counts": selectors.day_counts(viewer=_staff(request), day=day),
        "walk_ins": selectors.walk_ins(viewer=_staff(request), day=day),
        "late_ones": selectors.late_ones(viewer=_staff(request), day=day),
        "walkin_form": WalkInForm(resources=selectors.active_resources(), services=selectors.service_types()),
        "call_form": CallForm(),
    }
    return render(request, "appointments/board.html", context)


@login_required
@require_POST
def walkin(request: HttpRequest) -> HttpResponse:
    """Record a walk-in (到店未预约) on today's board."""
    form = WalkInForm(request.POST, resources=selectors.active_resources(), services=selectors.service_types())
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(reverse("appointments:board"))
    try:
        services.walkin_record(
            actor=_staff(request), customer_id=form.cleaned_data["customer"], name=form.cleaned_data["name"],
            phone=form.cleaned_data["phone"], resource_id=form.cleaned_data["resource"],
            service_type_id=form.cleaned_data["service"], notes=form.cleaned_data["notes"],
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Walk-in recorded."))
    return redirect(reverse("appointments:board"))


@login_required
def reminders(request: HttpRequest) -> HttpResponse:
    """The maintenance reminder list (定期保养提醒), each with a one-step booking."""
    rows = selectors.reminders_open(viewer=_staff(request))
    return render(request, "appointments/reminders.html", {"reminders": rows})


@login_required
@require_POST
def reminder_book(request: HttpRequest, reminder_id: int) -> HttpResponse:
    try:
        appointment = services.reminder_book(actor=_staff(request), reminder_id=reminder_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect(reverse("appointments:reminders"))
    messages.success(request, _("Appointment booked."))
    day = appointment.start.astimezone(timezone.get_current_timezone()).date().isoformat()
    return redirect(f"{reverse('appointments:board')}?day={day}")


@login_required
@require_POST
def reminder_dismiss(request: HttpRequest, reminder_id: int) -> HttpResponse:
    try:
        services.reminder_dismiss(actor=_staff(request), reminder_id=reminder_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect(reverse("appointments:reminders"))


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get(viewer=_staff(request), customer_id=customer_id)
    if customer is None:
        raise Http404
    pick, _services, service, day = _pick(request, portal=False)
    assets = list(customer.assets.all())
    form = StaffBookForm(request.POST or None, assets=assets)
    status = 200
    if request.method == "POST":
        status = FORM_ERROR_STATUS
        if form.is_valid() and service is not None:
            resource_id, start = form.cleaned_data["slot"]
            ticket_id = request.GET.get("ticket")
            try:
                services.appointment_book(
                    actor=_staff(request), resource_id=resource_id, service_type_id=service.pk, start=start,
                    customer_id=customer.pk, asset_id=form.cleaned_data["asset"],
                    ticket_id=int(ticket_id) if ticket_id and ticket_id.isdigit() else None, notes=form.cleaned_data["notes"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("Appointment booked."))
                return redirect(f"{reverse('appointments:board')}?day={start.astimezone(timezone.get_current_timezone()).date().isoformat()}")
    context = {"customer": customer, "pick": pick, "form": form, "free": _free(service, day), "service": service, "day": day}
    return render(request, "appointments/book.html", context, status=status)


@login_required
@require_POST
def mark(request: HttpRequest, appointment_id: int) -> HttpResponse:
    try:
        services.appointment_mark(actor=_staff(request), appointment_id=appointment_id, status=request.POST.get("status", ""))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect(request.POST.get("next") or reverse("appointments:board"))


@login_required
@require_POST
def cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    try:
        services.appointment_cancel(actor=_staff(request), appointment_id=appointment_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Appointment cancelled; the time is free again."))
    return redirect(request.POST.get("next") or reverse("appointments:board"))


@login_required
@require_POST
def call(request: HttpRequest, call_id: int) -> HttpResponse:
    form = CallForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an outcome."))
    else:
        try:
            services.call_record(actor=_staff(request), call_id=call_id, outcome=form.cleaned_data["outcome"])
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Call logged."))
    return redirect(reverse("appointments:board"))


# --- the customer's pages ------------------------------------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "same-origin"
    return response


@require_http_methods(["GET", "POST"])
def portal_book(request: HttpRequest) -> HttpResponse:
    pick, service_list, service, day = _pick(request, portal=True)
    form = PortalBookForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = FORM_ERROR_STATUS
        if form.is_valid() and service is not None:
            resource_id, start = form.cleaned_data["slot"]
            try:
                appointment = services.appointment_book_by_customer(
                    name=form.cleaned_data["name"], phone=form.cleaned_data["phone"], plate=form.cleaned_data["plate"],
                    resource_id=resource_id, service_type_id=service.pk, start=start,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return redirect("appointments:portal_manage", token=appointment_token(appointment))
    context = {"pick": pick, "form": form, "free": _free(service, day), "service": service, "day": day}
    return _private(render(request, "appointments/portal/book.html", context, status=status))


@require_http_methods(["GET", "POST"])
def portal_manage(request: HttpRequest, token: str) -> HttpResponse:
    try:
        appointment = access_appointment_by_token(token)
    except DomainError as exc:
        return _private(render(request, "appointments/portal/invalid.html", {"message": exc.message}, status=404))
    form = MoveForm(request.POST if request.POST.get("action") == "move" else None)
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                services.appointment_cancel_by_token(token=token)
                return redirect("appointments:portal_manage", token=token)
            if form.is_valid():
                services.appointment_move_by_token(token=token, start=form.cleaned_data["slot"][1])
                return redirect("appointments:portal_manage", token=token)
            status = FORM_ERROR_STATUS
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status if exc.status != 400 else FORM_ERROR_STATUS
    day = parse_date(request.GET.get("day") or "") or appointment.start.astimezone(timezone.get_current_timezone()).date()
    free = [f for f in _free(appointment.service_type, day) if f["resource"].pk == appointment.resource_id] if appointment.is_active else []
    context = {"appointment": appointment, "form": form, "free": free, "day": day, "link": request.build_absolute_uri()}
    return _private(render(request, "appointments/portal/manage.html", context, status=status))
