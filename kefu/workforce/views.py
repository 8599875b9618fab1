"""HTML pages of workforce planning (thin: parse → access → service/selector → render)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kefu.core.errors import DomainError, Forbidden, NotFound
from kefu.core.htmx import FORM_ERROR_STATUS, AuthedHtmxRequest, add_domain_error, render_region
from kefu.workforce import selectors, services
from kefu.workforce.access import may_edit_plans
from kefu.workforce.export import schedule_xlsx
from kefu.workforce.forms import DecideForm, ImportForm, LeaveForm, QueueSettingsForm, WeekForm, WhatIfForm
from kefu.workforce.models import HistoryImport

T = "workforce/"


def _guard(exc: DomainError) -> None:
    if isinstance(exc, Forbidden | NotFound):
        raise Http404(str(exc.message))


@login_required
def index(request: AuthedHtmxRequest) -> HttpResponse:
    try:
        queues = list(selectors.queue_list(user=request.user))
    except DomainError as exc:
        _guard(exc)
        raise
    schedules = list(selectors.schedule_list(user=request.user)[:20])
    forecasts = list(selectors.forecast_list(user=request.user)[:20])
    today = timezone.localdate()
    ctx = {"nav": "workforce", "queues": queues, "schedules": schedules, "forecasts": forecasts, "can_edit": may_edit_plans(request.user),
           "next_monday": today + timedelta(days=7 - today.weekday()), "import_form": ImportForm()}  # fmt: skip
    return render_region(request, T + "workforce_index.html", ctx)


@login_required
@require_http_methods(["GET", "POST"])
def queue_settings(request: AuthedHtmxRequest, queue_id: int | None = None) -> HttpResponse:
    """Create (no queue_id) or edit a queue's goals, costs, history and work rules. Planners may look; the
    service lets only managers save."""
    try:
        queue = selectors.queue_get(user=request.user, queue_id=queue_id) if queue_id else None
        if queue is None:
            selectors.require_editor(user=request.user)
    except DomainError as exc:
        _guard(exc)
        raise
    initial = QueueSettingsForm.initial_from(queue) if queue else QueueSettingsForm.defaults()
    form = QueueSettingsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if queue is None:
                    queue = services.queue_create(actor=request.user, **form.queue_fields())
                else:
                    services.queue_update(actor=request.user, queue_id=queue.pk, **form.queue_fields())
                messages.success(request, _("The queue settings are saved."))
                return redirect("workforce:queue_settings", queue_id=queue.pk)
            except DomainError as exc:
                _guard(exc)
                add_domain_error(form, exc)
        status = FORM_ERROR_STATUS
    ctx = {"nav": "workforce", "queue": queue, "form": form, "can_edit": may_edit_plans(request.user)}
    return render_region(request, T + "queue_settings.html", ctx, status=status)


@login_required
@require_POST
def forecast_new(request: AuthedHtmxRequest, queue_id: int) -> HttpResponse:
    form = WeekForm(request.POST)
    if form.is_valid():
        try:
            fc = services.forecast_create(
                actor=request.user, queue_id=queue_id, week_start=form.cleaned_data["week_start"]
            )
            return redirect("workforce:forecast", forecast_id=fc.pk)
        except DomainError as exc:
            _guard(exc)
            messages.error(request, str(exc.message))
    else:
        messages.error(request, _("Give a Monday as the week start."))
    return redirect("workforce:index")


@login_required
def forecast_detail(request: AuthedHtmxRequest, forecast_id: int) -> HttpResponse:
    try:
        fc = selectors.forecast_get(user=request.user, forecast_id=forecast_id)
    except DomainError as exc:
        _guard(exc)
        raise
    actual = selectors.actuals(fc.queue, fc.week_start).reshape(-1).tolist()
    labels = _labels(fc.week_start, fc.queue.interval_minutes)
    chart = {
        "labels": labels,
        "series": [{"name": _("Forecast"), "data": fc.calls}, {"name": _("Actual"), "data": actual}],
    }
    form = WhatIfForm(request.GET or None, initial={"service_level": fc.queue.service_level, "service_time": fc.queue.service_time, "shrinkage": fc.queue.shrinkage})  # fmt: skip
    result = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                result = selectors.what_if(user=request.user, forecast_id=fc.pk, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
                status = FORM_ERROR_STATUS
        else:
            status = FORM_ERROR_STATUS
    whatif_chart = (
        json.dumps({"labels": labels, "series": [{"name": _("Planned heads"), "data": fc.heads, "step": True},
                                                 {"name": _("What-if heads"), "data": result.heads, "step": True}]})
        if result else None
    )  # fmt: skip
    base_hours = sum(fc.heads) * fc.queue.interval_minutes / 60
    ctx = {"nav": "workforce", "fc": fc, "chart": json.dumps(chart), "form": form, "result": result, "base_hours": base_hours, "whatif_chart": whatif_chart,
           "base_cost": base_hours * float(fc.queue.hourly_cost), "peak": max(fc.heads, default=0), "can_edit": may_edit_plans(request.user)}  # fmt: skip
    return render_region(
        request, T + "forecast_detail.html", ctx, regions=("forecast-whatif",), status=status
    )


def _labels(week_start: date, minutes: int) -> list[str]:
    names = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    return [f"{names[d]} {m // 60:02d}:{m % 60:02d}" for d in range(7) for m in range(0, 1440, minutes)]


@login_required
@require_POST
def schedule_new(request: AuthedHtmxRequest, forecast_id: int) -> HttpResponse:
    try:
        schedule = services.schedule_create(actor=request.user, forecast_id=forecast_id)
    except DomainError as exc:
        _guard(exc)
        messages.error(request, str(exc.message))
        return redirect("workforce:forecast", forecast_id=forecast_id)
    return redirect("workforce:schedule", schedule_id=schedule.pk)


@login_required
def schedule_detail(request: AuthedHtmxRequest, schedule_id: int) -> HttpResponse:
    try:
        schedule = selectors.schedule_get(user=request.user, schedule_id=schedule_id)
    except DomainError as exc:
        _guard(exc)
        raise
    cov = selectors.coverage_of(schedule).reshape(-1).tolist()
    chart = {"labels": _labels(schedule.week_start, schedule.queue.interval_minutes),
             "series": [{"name": _("Required heads"), "data": schedule.forecast.heads}, {"name": _("Scheduled"), "data": cov, "step": True}]}  # fmt: skip
    days = [schedule.week_start + timedelta(days=k) for k in range(7)]
    ctx = {"nav": "workforce", "schedule": schedule, "rows": selectors.schedule_grid(schedule), "days": days, "chart": json.dumps(chart),
           "can_edit": may_edit_plans(request.user), "short": sum(max(0, r - c) for r, c in zip(schedule.forecast.heads, cov, strict=True))}  # fmt: skip
    return render_region(request, T + "schedule_detail.html", ctx)


@login_required
@require_POST
def schedule_publish(request: AuthedHtmxRequest, schedule_id: int) -> HttpResponse:
    try:
        services.schedule_publish(actor=request.user, schedule_id=schedule_id)
        messages.success(request, _("The schedule is published."))
    except DomainError as exc:
        _guard(exc)
        messages.error(request, str(exc.message))
    return redirect("workforce:schedule", schedule_id=schedule_id)


@login_required
def schedule_export(request: AuthedHtmxRequest, schedule_id: int) -> HttpResponse:
    try:
        schedule = selectors.schedule_get(user=request.user, schedule_id=schedule_id)
    except DomainError as exc:
        _guard(exc)
        raise
    buf = BytesIO()
    schedule_xlsx(schedule, buf)
    response = HttpResponse(
        buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="schedule-{schedule.queue_id}-{schedule.week_start}.xlsx"'
    )
    return response


@login_required
@require_POST
def import_new(request: AuthedHtmxRequest, queue_id: int) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a kind and a CSV file."))
        return redirect("workforce:index")
    upload = form.cleaned_data["file"]
    try:
        job = services.history_import_create(
            actor=request.user,
            queue_id=queue_id,
            kind=form.cleaned_data["kind"],
            filename=upload.name,
            content=upload.read(),
        )
    except DomainError as exc:
        _guard(exc)
        messages.error(request, str(exc.message))
        return redirect("workforce:index")
    return redirect("workforce:import", import_id=job.pk)


@login_required
def import_detail(request: AuthedHtmxRequest, import_id: int) -> HttpResponse:
    if not may_edit_plans(request.user):
        raise Http404
    job = HistoryImport.objects.select_related("queue").filter(pk=import_id).first()
    if job is None:
        raise Http404
    return render_region(
        request, T + "import_detail.html", {"nav": "workforce", "job": job}, regions=("import-progress",)
    )


@login_required
def my_schedule(request: AuthedHtmxRequest) -> HttpResponse:
    shifts = selectors.my_shifts(
        user=request.user, start=timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    )
    return render_region(request, T + "my_schedule.html", {"nav": "workforce_me", "shifts": shifts})


@login_required
@require_http_methods(["GET", "POST"])
def leave_mine(request: AuthedHtmxRequest) -> HttpResponse:
    form = LeaveForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.leave_request_create(actor=request.user, **form.cleaned_data)
                messages.success(request, _("Your leave request was sent."))
                return redirect("workforce:leave")
            except DomainError as exc:
                add_domain_error(form, exc)
        status = FORM_ERROR_STATUS
    ctx = {"nav": "workforce_me", "form": form, "leaves": selectors.leave_list_mine(user=request.user)}
    return render_region(request, T + "leave_mine.html", ctx, status=status)


@login_required
def leave_inbox(request: AuthedHtmxRequest) -> HttpResponse:
    ctx = {"nav": "workforce", "leaves": list(selectors.leave_list_to_decide(user=request.user))}
    return render_region(request, T + "leave_inbox.html", ctx)


@login_required
@require_POST
def leave_decide(request: AuthedHtmxRequest, leave_id: int) -> HttpResponse:
    form = DecideForm(request.POST)
    form.is_valid()
    try:
        services.leave_decide(
            actor=request.user,
            leave_id=leave_id,
            approve=bool(form.cleaned_data.get("approve")),
            note=form.cleaned_data.get("note") or "",
        )
        messages.success(request, _("Decision saved."))
    except DomainError as exc:
        _guard(exc)
        messages.error(request, str(exc.message))
    return redirect("workforce:leave_inbox")


@login_required
def intraday(request: AuthedHtmxRequest, queue_id: int) -> HttpResponse:
    """Today so far: re-forecast of the rest of the day, gap per interval, standby agents to call in."""
    try:
        day = selectors.intraday(user=request.user, queue_id=queue_id)
    except DomainError as exc:
        _guard(exc)
        messages.error(request, str(exc.message))
        return redirect("workforce:index")
    queue = day.queue
    minutes = queue.interval_minutes
    labels = [f"{m // 60:02d}:{m % 60:02d}" for m in range(0, 1440, minutes)]
    calls = {"labels": labels, "series": [{"name": _("Forecast"), "data": day.forecast}, {"name": _("Re-forecast"), "data": day.reforecast},
             {"name": _("Actual"), "data": day.actual[: day.now_slot]}]}  # fmt: skip
    heads = {"labels": labels, "series": [{"name": _("Required heads"), "data": day.required}, {"name": _("Scheduled"), "data": day.scheduled, "step": True}]}  # fmt: skip
    rows = [
        {"label": labels[i], "required": day.required[i], "scheduled": day.scheduled[i], "gap": day.gap[i]}
        for i in range(day.now_slot, len(labels))
        if day.required[i] or day.scheduled[i]
    ]
    ctx = {"nav": "workforce", "queue": queue, "day": day, "now_label": labels[min(day.now_slot, len(labels) - 1)],
           "calls_chart": json.dumps(calls), "heads_chart": json.dumps(heads), "rows": rows,
           "missing": sum(g for g in day.gap if g > 0)}  # fmt: skip
    return render_region(request, T + "intraday.html", ctx)
