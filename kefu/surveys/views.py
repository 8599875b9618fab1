"""HTML pages: the customer's answer page (no login), the callback queue with fast result logging,
the dissatisfied-customer archive, the numbers with CSV / Excel export, the daily summary."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kefu.core.errors import DomainError, NotFound
from kefu.core.htmx import (
    FORM_ERROR_STATUS,
    AuthedHtmxRequest,
    add_domain_error,
    render_region,
    toast,
    with_events,
)
from kefu.customers.selectors import contact_view
from kefu.surveys import export, selectors, services
from kefu.surveys.access import callbacks_visible_to, is_lead, may_care
from kefu.surveys.forms import AnswerForm, CallbackResultForm, CareActionForm, CaseCloseForm, MetricsForm
from kefu.surveys.models import Callback

# --- the customer's answer page ----------------------------------------------------------------------


def _closed_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "surveys/portal/closed.html", {"message": exc.message, "code": exc.code}, status=exc.status)


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """Two taps on a phone: pick a face, press send. Bad, forged, expired or replayed links get a
    clear page (404 / 409 / 410), never an error."""
    try:
        survey = services.survey_open_for_answer(token=token)
    except DomainError as exc:
        return _closed_page(request, exc)
    form = AnswerForm(request.POST or None, template=survey.template)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_answer(token=token, **form.answer())
        except DomainError as exc:
            if exc.fields:
                add_domain_error(form, exc)
            else:
                return _closed_page(request, exc)
        else:
            return render(request, "surveys/portal/thanks.html", {"survey": survey})
    status = FORM_ERROR_STATUS if request.method == "POST" else 200
    return render(request, "surveys/portal/answer.html", {"survey": survey, "form": form}, status=status)


# --- callbacks ---------------------------------------------------------------------------------------


def _scopes(request: AuthedHtmxRequest) -> list[tuple[str, str]]:
    scopes = [("mine", _("My callbacks"))]
    if is_lead(request.user) or request.user.sees_all_tickets:
        scopes.append(("team", _("Team")))
    if request.user.sees_all_tickets:
        scopes.append(("all", _("All")))
    return scopes


def _rows(request: AuthedHtmxRequest, callbacks: list[Callback]) -> list[dict[str, Any]]:
    now = timezone.now()
    return [
        {
            "cb": cb,
            "contact": contact_view(customer=cb.customer, viewer=request.user),
            "overdue": cb.due_at < now,
            "form": CallbackResultForm(prefix=f"cb{cb.pk}"),
        }
        for cb in callbacks
    ]


@login_required
def callbacks(request: AuthedHtmxRequest) -> HttpResponse:
    """The callback queue, earliest due first, each row with a one-line result form."""
    scopes = _scopes(request)
    scope = request.GET.get("scope") or "mine"
    if scope not in dict(scopes):
        scope = "mine"
    items = selectors.callback_queue(user=request.user, scope=scope)
    context = {"rows": _rows(request, items), "scope": scope, "scopes": scopes, "nav": "surveys", "tab": "callbacks"}
    return render_region(request, "surveys/callback_queue.html", context, regions=("callback-list",))


@login_required
@require_POST
def callback_result(request: AuthedHtmxRequest, callback_id: int) -> HttpResponse:
    """Log a call in one step; htmx gets the row back (closed rows disappear), others a redirect."""
    form = CallbackResultForm(request.POST, prefix=f"cb{callback_id}")
    error = ""
    if form.is_valid():
        try:
            services.callback_record_result(actor=request.user, callback_id=callback_id, **form.cleaned_data)
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
        except DomainError as exc:
            error = str(exc.message)
    else:
        error = _("Pick a result.")
    if not request.htmx:
        return redirect("surveys:callbacks")
    cb = selectors.callback_get(user=request.user, callback_id=callback_id)
    if cb is None:
        raise Http404
    row = _rows(request, [cb])[0]
    if error:
        row["form"] = form
        row["error"] = error
        return render(request, "surveys/_callback_row.html", {"row": row}, status=FORM_ERROR_STATUS)
    response = render(request, "surveys/_callback_row.html", {"row": row})
    return with_events(response, kefuToast=toast(_("Callback logged.")))


# --- archive -----------------------------------------------------------------------------------------


@login_required
def archive(request: AuthedHtmxRequest) -> HttpResponse:
    status = request.GET.get("status") or "open"
    cases = selectors.archive_list(user=request.user, status=status)
    return render(request, "surveys/case_list.html", {"cases": cases, "status": status, "nav": "surveys", "tab": "archive"})


def _case_context(request: AuthedHtmxRequest, case_id: int, **extra: Any) -> dict[str, Any]:
    case = selectors.case_get(user=request.user, case_id=case_id)
    if case is None:
        raise Http404
    context = {
        "case": case,
        "contact": contact_view(customer=case.customer, viewer=request.user),
        "may_care": may_care(request.user, case),
        "may_close": request.user.is_supervising,
        "care_form": CareActionForm(),
        "close_form": CaseCloseForm(),
        "nav": "surveys",
        "tab": "archive",
    }
    context.update(extra)
    return context


@login_required
def case_detail(request: AuthedHtmxRequest, case_id: int) -> HttpResponse:
    return render(request, "surveys/case_detail.html", _case_context(request, case_id))


@login_required
@require_POST
def care_add(request: AuthedHtmxRequest, case_id: int) -> HttpResponse:
    form = CareActionForm(request.POST)
    status = FORM_ERROR_STATUS
    if form.is_valid():
        try:
            services.care_action_plan(actor=request.user, case_id=case_id, **form.cleaned_data)
            return redirect("surveys:case", case_id=case_id)
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status if exc.status != 400 else FORM_ERROR_STATUS
    context = _case_context(request, case_id, care_form=form)
    return render(request, "surveys/case_detail.html", context, status=status)


@login_required
@require_POST
def care_done(request: AuthedHtmxRequest, action_id: int) -> HttpResponse:
    try:
        action = services.care_action_done(actor=request.user, action_id=action_id, notes=request.POST.get("notes", "")[:2000])
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        return HttpResponse(str(exc.message), status=exc.status)
    return redirect("surveys:case", case_id=action.case_id)


@login_required
@require_POST
def case_close(request: AuthedHtmxRequest, case_id: int) -> HttpResponse:
    form = CaseCloseForm(request.POST)
    form.is_valid()
    try:
        services.dissatisfied_close(actor=request.user, case_id=case_id, note=form.cleaned_data.get("note", ""))
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        form.add_error(None, str(exc.message))
        return render(request, "surveys/case_detail.html", _case_context(request, case_id, close_form=form), status=exc.status)
    return redirect("surveys:case", case_id=case_id)


# --- numbers and summary -----------------------------------------------------------------------------


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return selectors.local_day_bounds(start)[0], selectors.local_day_bounds(end)[1]


@login_required
def numbers(request: AuthedHtmxRequest) -> HttpResponse:
    form = MetricsForm(request.GET or None)
    group, start, end = form.values()
    rows = selectors.survey_metrics(user=request.user, group=group, start=_bounds(start, end)[0], end=_bounds(start, end)[1])
    context = {
        "form": form, "rows": rows, "total": selectors.metrics_total(rows), "group": group,
        "start": start, "end": end, "query": request.GET.urlencode(), "nav": "surveys", "tab": "numbers",
    }
    return render_region(request, "surveys/numbers.html", context, regions=("numbers-table",))


@login_required
def numbers_export(request: AuthedHtmxRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    group, start, end = MetricsForm(request.GET or None).values()
    lo, hi = _bounds(start, end)
    rows = selectors.survey_metrics(user=request.user, group=group, start=lo, end=hi)
    total = selectors.metrics_total(rows)
    name = f"satisfaction-{group}-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(export.to_csv(rows, total), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            export.to_xlsx(rows, total, title=f"{start:%Y%m%d}-{end:%Y%m%d}"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def summary(request: AuthedHtmxRequest) -> HttpResponse:
    """The daily callback summary (managers see all; leads their team; agents their own)."""
    try:
        day = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    data = selectors.callback_day_summary(day=day, user=request.user)
    open_count = callbacks_visible_to(request.user).filter(status="open").count()
    context = {
        "data": data, "day": day, "prev": day - timedelta(days=1), "next": day + timedelta(days=1),
        "open_count": open_count, "nav": "surveys", "tab": "summary",
    }
    return render(request, "surveys/summary.html", context)
