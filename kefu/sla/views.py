"""SLA pages: the supervisors' "at risk" board and the calendar year view (holidays and 调休)."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kefu.core.errors import DomainError, Forbidden
from kefu.core.htmx import AuthedHtmxRequest, add_domain_error, render_region, toast, with_events
from kefu.sla.access import require_board, require_config
from kefu.sla.choices import DayKind
from kefu.sla.forms import DayToggleForm, WorkingHoursForm
from kefu.sla.models import BusinessCalendar
from kefu.sla.selectors import (
    at_risk_board,
    calendar_periods,
    calendar_year,
    calendar_year_counts,
    calendars_for_admin,
    sla_badges_for,
)
from kefu.sla.services import calendar_day_cycle, calendar_periods_set


def _forbidden(exc: Forbidden) -> HttpResponse:
    return HttpResponse(str(exc.message), status=403)


@login_required
def at_risk(request: AuthedHtmxRequest) -> HttpResponse:
    """Open tickets past 80 % of a time limit or breached, by team; refreshes itself every 30 s."""
    try:
        require_board(request.user)
    except Forbidden as exc:
        return _forbidden(exc)
    groups = at_risk_board(user=request.user)
    context = {
        "nav": "sla",
        "groups": groups,
        "total": sum(len(g.rows) for g in groups),
        "breached": sum(g.breached for g in groups),
        "now": timezone.now(),
    }
    return render_region(request, "sla/at_risk.html", context, regions=("sla-board",))


@login_required
def badges(request: AuthedHtmxRequest) -> HttpResponse:
    """Fresh countdown badges of the tickets `?t=<id>&t=<id>…` (the ones the user may see), as htmx
    out-of-band swaps: one request per list of rows, polled every 60 s by components/ticket_rows."""
    try:
        ids = [int(v) for v in request.GET.getlist("t")]
    except ValueError:
        return HttpResponse(_("Ticket ids must be numbers."), status=400)
    tickets = sla_badges_for(user=request.user, ticket_ids=ids)
    return render(request, "sla/_badges_oob.html", {"tickets": tickets})


@login_required
def calendars(request: AuthedHtmxRequest) -> HttpResponse:
    try:
        require_config(request.user)
    except Forbidden as exc:
        return _forbidden(exc)
    return render(request, "sla/calendar_list.html", {"nav": "sla", "calendars": calendars_for_admin()})


def _year(request: AuthedHtmxRequest) -> int:
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@login_required
def calendar_year_view(request: AuthedHtmxRequest, calendar_id: int) -> HttpResponse:
    """Twelve months of a calendar; a click on a day cycles ordinary → holiday → 调休 → ordinary."""
    try:
        require_config(request.user)
    except Forbidden as exc:
        return _forbidden(exc)
    calendar = get_object_or_404(BusinessCalendar, pk=calendar_id)
    return render_region(request, "sla/calendar_year.html", _year_context(calendar, _year(request)), regions=("calendar-year",))


def _year_context(calendar: BusinessCalendar, year: int) -> dict[str, object]:
    return {
        "nav": "sla",
        "calendar": calendar,
        "year": year,
        "years": [year - 1, year, year + 1],
        "months": calendar_year(calendar=calendar, year=year),
        "counts": calendar_year_counts(calendar=calendar, year=year),
        "kinds": DayKind,
    }


@login_required
@require_http_methods(["GET", "POST"])
def calendar_hours(request: AuthedHtmxRequest, calendar_id: int) -> HttpResponse:
    """Weekly working hours of a calendar, several periods a day ("09:00-12:00, 13:30-18:00")."""
    try:
        require_config(request.user)
    except Forbidden as exc:
        return _forbidden(exc)
    calendar = get_object_or_404(BusinessCalendar, pk=calendar_id)
    status = 200
    if request.method == "POST":
        form = WorkingHoursForm(request.POST)
        if form.is_valid():
            try:
                calendar_periods_set(actor=request.user, calendar_id=calendar.pk, periods=form.periods())
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if not request.htmx:
                    return redirect("sla:calendar_hours", calendar_id=calendar.pk)
                form = WorkingHoursForm(initial=WorkingHoursForm.initial_from(calendar_periods(calendar=calendar)))
                response = render(request, "sla/calendar_hours.html#calendar-hours", {"calendar": calendar, "form": form})
                return with_events(response, kefuToast=toast(_("Saved. Open tickets are being recomputed.")))
        status = 422
    else:
        form = WorkingHoursForm(initial=WorkingHoursForm.initial_from(calendar_periods(calendar=calendar)))
    context = {"nav": "sla", "calendar": calendar, "form": form}
    return render_region(request, "sla/calendar_hours.html", context, regions=("calendar-hours",), status=status)


@login_required
@require_POST
def calendar_day_toggle(request: AuthedHtmxRequest, calendar_id: int) -> HttpResponse:
    form = DayToggleForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Enter a valid date."), status=400)
    day: date = form.cleaned_data["day"]
    try:
        calendar_day_cycle(actor=request.user, calendar_id=calendar_id, day=day)
    except Forbidden as exc:
        return _forbidden(exc)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(str(exc.message)) from exc
        return HttpResponse(str(exc.message), status=400)
    if not request.htmx:
        return redirect(reverse("sla:calendar_year", args=[calendar_id]) + f"?year={day.year}")
    calendar = get_object_or_404(BusinessCalendar, pk=calendar_id)
    response = render(request, "sla/calendar_year.html#calendar-year", _year_context(calendar, day.year))
    return with_events(response, kefuToast=toast(_("Saved. Open tickets are being recomputed.")))

