"""HTML pages: the warning board and history, a warning with its chart, duties and tickets, the
warning bulletin (预警通报), incidents with compensation, public-opinion posts, root causes.

Thin: parse, call a selector or a service, render. A refused write comes back as a toast with the
service's (Chinese) message on the page it came from."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import Team, User
from kefu.complaints import actions, closure, selectors, services
from kefu.complaints.access import may_configure, may_work
from kefu.complaints.choices import CompensationKind, CompensationState, JointTaskStatus, WarningStatus
from kefu.complaints.models import RootCause, WarningLevel
from kefu.core.errors import DomainError, NotFound
from kefu.tickets.models import Category

Req = Any  # an authenticated HttpRequest (login_required)


def _local_day_start(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_current_timezone())


def _act(request: Req, action: Callable[[], Any], ok: str, back: str) -> HttpResponse:
    try:
        action()
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, ok)
    return redirect(back)


def _guard(request: Req) -> None:
    if not may_work(request.user) and not request.user.sees_all_tickets:
        raise Http404


# --- warnings ----------------------------------------------------------------------------------------


@login_required
def board(request: Req) -> HttpResponse:
    _guard(request)
    region = request.GET.get("region", "").strip()
    warnings = selectors.warning_board(user=request.user, region=region)
    now = timezone.now()
    return render(
        request,
        "complaints/board.html",
        {
            "nav": "complaints",
            "tab": "board",
            "warnings": warnings,
            "now": now,
            "may_work": may_work(request.user),
            "levels": WarningLevel.objects.order_by("-rank"),
            "region": region,
            "regions": selectors.complaint_regions(),
        },
    )


@login_required
@require_POST
def check_now(request: Req) -> HttpResponse:
    try:
        raised = services.detector_check_now(actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request, _("Checked now: %(n)s warnings raised or raised a level.") % {"n": len(raised)}
        )
    return redirect("complaints:board")


@login_required
def history(request: Req) -> HttpResponse:
    _guard(request)
    level = request.GET.get("level", "")
    region = request.GET.get("region", "").strip()
    rows = selectors.warning_history(user=request.user, level=level, region=region)
    return render(
        request,
        "complaints/history.html",
        {
            "nav": "complaints",
            "tab": "history",
            "warnings": rows,
            "level": level,
            "levels": WarningLevel.objects.order_by("rank"),
            "region": region,
            "regions": selectors.complaint_regions(),
        },
    )


@login_required
def warning_detail(request: Req, warning_id: int) -> HttpResponse:
    _guard(request)
    try:
        warning = selectors.warning_detail(user=request.user, warning_id=warning_id)
    except NotFound as exc:
        raise Http404 from exc
    duties = [
        {
            "duty": duty,
            "label": services.config.DUTY_LABELS[duty],
            "deadline": deadline,
            "done": done,
            "late": (done or timezone.now()) > deadline,
        }
        for duty, deadline, done in services.duty_deadlines(warning)
    ]
    chart = {
        "labels": [p[0] for p in warning.chart],
        "observed": [p[1] for p in warning.chart],
        "expected": [p[2] for p in warning.chart],
        "t_observed": _("Complaints"),
        "t_expected": _("Expected"),
    }
    return render(
        request,
        "complaints/warning_detail.html",
        {
            "nav": "complaints",
            "tab": "board",
            "w": warning,
            "duties": duties,
            "chart": chart,
            "events": warning.events.select_related("actor"),
            "tickets": selectors.warning_tickets(user=request.user, warning=warning),
            "may_work": may_work(request.user),
            "is_open": warning.status != WarningStatus.CLOSED,
            "owners": User.objects.filter(
                is_active=True, role__in=["team_lead", "manager", "admin"]
            ).order_by("username"),
            "incidents": warning.incidents.all(),
        },
    )


@login_required
@require_POST
def warning_action(request: Req, warning_id: int, action: str) -> HttpResponse:
    back = f"/complaints/warnings/{warning_id}/"
    user = request.user
    if action == "ack":
        return _act(
            request,
            lambda: services.warning_acknowledge(actor=user, warning_id=warning_id),
            _("Acknowledged."),
            back,
        )
    if action == "owner":
        owner = (
            User.objects.filter(pk=request.POST.get("owner") or 0, is_active=True).first()
            if (request.POST.get("owner") or "").isdigit()
            else None
        )
        if owner is None:
            messages.error(request, _("Choose an owner."))
            return redirect(back)
        return _act(
            request,
            lambda: services.warning_assign(actor=user, warning_id=warning_id, owner=owner),
            _("Owner assigned."),
            back,
        )
    if action == "note":
        return _act(
            request,
            lambda: services.warning_note(
                actor=user, warning_id=warning_id, note=request.POST.get("note", "")
            ),
            _("Handling note published."),
            back,
        )
    if action == "close":
        return _act(
            request,
            lambda: services.warning_close(
                actor=user, warning_id=warning_id, note=request.POST.get("note", "")
            ),
            _("Warning closed."),
            back,
        )
    if action == "incident":
        try:
            warning = selectors.warning_detail(user=user, warning_id=warning_id)
            incident = services.incident_open(
                actor=user,
                title=request.POST.get("title")
                or f"{warning.label} {warning.raised_at.astimezone(timezone.get_current_timezone()):%Y-%m-%d}",
                warning_id=warning_id,
                supervisor=User.objects.filter(role="manager", is_active=True).order_by("pk").first(),
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect(back)
        messages.success(request, _("Incident %(n)s opened.") % {"n": incident.number})
        return redirect("complaints:incident", incident.pk)
    raise Http404


@login_required
def bulletin(request: Req) -> HttpResponse:
    _guard(request)
    today = timezone.localdate()
    end_day = _date_or_none(request.GET.get("end")) or today + timedelta(days=1)
    days = request.GET.get("days", "7")
    span = int(days) if days.isdigit() and 1 <= int(days) <= 92 else 7
    start, end = _local_day_start(end_day - timedelta(days=span)), _local_day_start(end_day)
    b = selectors.warning_bulletin(user=request.user, start=start, end=end)
    flags = selectors.flag_counts(user=request.user, start=start, end=end)
    return render(
        request,
        "complaints/bulletin.html",
        {
            "nav": "complaints",
            "tab": "bulletin",
            "b": b,
            "flags": flags,
            "span": span,
            "last_day": end_day - timedelta(days=1),
        },
    )


@login_required
def weekly_bulletin(request: Req) -> HttpResponse:
    """投诉周报: the weekly bulletin of one local week (Monday to Sunday) against the week before;
    `?week=` any day of the week wanted (default: the last finished week)."""
    _guard(request)
    today = timezone.localdate()
    try:
        day = parse_date(request.GET.get("week") or "") or today - timedelta(days=7)
    except ValueError:  # well-formed but not a date (2026-13-45)
        day = today - timedelta(days=7)
    monday = day - timedelta(days=day.weekday())
    b = selectors.weekly_bulletin(user=request.user, week_start=monday)
    this_monday = today - timedelta(days=today.weekday())
    return render(
        request,
        "complaints/weekly_bulletin.html",
        {
            "nav": "complaints",
            "tab": "weekly",
            "b": b,
            "monday": monday,
            "sunday": monday + timedelta(days=6),
            "prev_week": monday - timedelta(days=7),
            "next_week": monday + timedelta(days=7) if monday < this_monday else None,
        },
    )


# --- incidents ---------------------------------------------------------------------------------------


@login_required
def incidents(request: Req) -> HttpResponse:
    _guard(request)
    if request.method == "POST":
        try:
            incident = services.incident_open(
                actor=request.user,
                title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect("complaints:incidents")
        return redirect("complaints:incident", incident.pk)
    return render(
        request,
        "complaints/incidents.html",
        {
            "nav": "complaints",
            "tab": "incidents",
            "incidents": selectors.incident_list(user=request.user),
            "may_work": may_work(request.user),
        },
    )


@login_required
def incident_detail(request: Req, incident_id: int) -> HttpResponse:
    _guard(request)
    try:
        incident = selectors.incident_detail(user=request.user, incident_id=incident_id)
    except NotFound as exc:
        raise Http404 from exc
    return render(
        request,
        "complaints/incident_detail.html",
        {
            "nav": "complaints",
            "tab": "incidents",
            "i": incident,
            "tickets": selectors.incident_tickets(user=request.user, incident=incident),
            "events": incident.events.select_related("actor"),
            "compensations": selectors.compensation_list(user=request.user, incident=incident),
            "totals": selectors.compensation_totals(incident=incident),
            "kinds": CompensationKind.choices,
            "states": CompensationState,
            "suggestions": selectors.incident_suggestions(user=request.user, incident=incident)
            if incident.status == "open"
            else [],
            "may_work": may_work(request.user),
            "is_open": incident.status == "open",
        },
    )


@login_required
@require_POST
def incident_action(request: Req, incident_id: int, action: str) -> HttpResponse:
    back = f"/complaints/incidents/{incident_id}/"
    user, post = request.user, request.POST
    if action == "link":
        numbers = [
            n for n in post.get("numbers", "").replace(",", " ").replace("，", " ").split() if n
        ] + post.getlist("ticket")
        return _act(
            request,
            lambda: services.incident_link(actor=user, incident_id=incident_id, numbers=numbers),
            _("Tickets linked."),
            back,
        )
    if action == "unlink":
        return _act(
            request,
            lambda: services.incident_unlink(
                actor=user, incident_id=incident_id, number=post.get("number", "")
            ),
            _("Ticket unlinked."),
            back,
        )
    if action == "notify":
        try:
            n = services.incident_notify(actor=user, incident_id=incident_id, body=post.get("body", ""))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("%(n)s customers notified.") % {"n": n})
        return redirect(back)
    if action == "plan":
        return _act(
            request,
            lambda: services.incident_plan(actor=user, incident_id=incident_id, plan=post.get("plan", "")),
            _("Compensation plan recorded."),
            back,
        )
    if action == "resolve":
        return _act(
            request,
            lambda: services.incident_resolve(
                actor=user, incident_id=incident_id, comment=post.get("comment", "")
            ),
            _("Incident resolved."),
            back,
        )
    if action == "compensate":
        return _act(
            request,
            lambda: services.compensation_propose(
                actor=user,
                incident_id=incident_id,
                kind=post.get("kind", ""),
                amount=post.get("amount", ""),
                ticket_number=post.get("ticket", ""),
                note=post.get("note", ""),
            ),
            _("Compensation proposed."),
            back,
        )
    raise Http404


@login_required
@require_POST
def compensation_action(request: Req, compensation_id: int, action: str) -> HttpResponse:
    back = request.POST.get("back") or "/complaints/incidents/"
    if not back.startswith("/complaints/"):
        back = "/complaints/incidents/"
    user = request.user
    if action in ("approve", "refuse"):
        return _act(
            request,
            lambda: services.compensation_decide(
                actor=user, compensation_id=compensation_id, approve=action == "approve"
            ),
            _("Decision recorded."),
            back,
        )
    if action == "pay":
        return _act(
            request,
            lambda: services.compensation_pay(actor=user, compensation_id=compensation_id),
            _("Marked paid."),
            back,
        )
    raise Http404


# --- public opinion ----------------------------------------------------------------------------------


def _csv_rows(data: bytes) -> list[dict[str, Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainError(code="post_invalid", message=_("The file is not UTF-8 or GB18030 text."))
    reader = csv.DictReader(io.StringIO(text))
    return [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in reader]


@login_required
def posts(request: Req) -> HttpResponse:
    _guard(request)
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise DomainError(code="post_invalid", message=_("Choose a CSV file."))
            if upload.size > 5 * 1024 * 1024:
                raise DomainError(code="post_invalid", message=_("The file is larger than 5 MB."))
            result = services.posts_import(actor=request.user, rows=_csv_rows(upload.read()))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            report = result
    return render(
        request,
        "complaints/posts.html",
        {
            "nav": "complaints",
            "tab": "posts",
            "posts": selectors.post_list(user=request.user),
            "report": report,
            "may_work": may_work(request.user),
            "alert_score": services.config.OPINION_ALERT_SCORE,
        },
    )


# --- root causes -------------------------------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[Any, Any]:
    today = timezone.localdate()
    start = _date_or_none(request.GET.get("start")) or today - timedelta(days=90)
    end = _date_or_none(request.GET.get("end")) or today
    if end < start:
        start, end = end, start
    return start, end


@login_required
def causes(request: Req) -> HttpResponse:
    _guard(request)
    start, end = _period(request)
    if request.method == "POST":
        dept = (
            Team.objects.filter(pk=request.POST.get("department") or 0).first()
            if (request.POST.get("department") or "").isdigit()
            else None
        )
        return _act(
            request,
            lambda: services.complaint_cause_set(
                actor=request.user,
                number=request.POST.get("number", ""),
                cause_code=request.POST.get("cause", ""),
                department=dept,
                note=request.POST.get("note", ""),
            ),
            _("Root cause recorded."),
            request.get_full_path(),
        )
    stats = selectors.root_cause_stats(
        user=request.user, start=_local_day_start(start), end=_local_day_start(end + timedelta(days=1))
    )
    return render(
        request,
        "complaints/causes.html",
        {
            "nav": "complaints",
            "tab": "causes",
            "stats": stats,
            "start": start,
            "end": end,
            "todo": selectors.complaints_to_attribute(user=request.user),
            "all_causes": RootCause.objects.filter(is_active=True),
            "teams": Team.objects.filter(is_active=True),
            "may_work": may_work(request.user),
            "may_configure": may_configure(request.user),
            "actions": actions.upstream_actions(user=request.user),
            "categories": Category.objects.filter(is_active=True).order_by("path"),
            "owners": _experts(),
        },
    )


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def _date_or_none(raw: str | None) -> date | None:
    try:
        return parse_date(raw or "")
    except ValueError:
        return None


@login_required
@require_POST
def action_create(request: Req) -> HttpResponse:
    """The upstream-action form on the root-cause page."""
    owner_id = _int_or_none(request.POST.get("owner"))
    return _act(
        request,
        lambda: actions.upstream_action_create(
            actor=request.user,
            cause_id=_int_or_none(request.POST.get("cause")) or 0,
            title=request.POST.get("title", ""),
            owner=User.objects.filter(pk=owner_id).first() if owner_id else None,
            due_date=_date_or_none(request.POST.get("due_date")),
            category_id=_int_or_none(request.POST.get("category")),
            region=request.POST.get("region", ""),
        ),
        _("Upstream action recorded."),
        reverse("complaints:causes") + "#upstream-actions",
    )


@login_required
@require_POST
def action_done(request: Req, action_id: int) -> HttpResponse:
    return _act(
        request,
        lambda: actions.upstream_action_done(
            actor=request.user, action_id=action_id, result=request.POST.get("result", "")
        ),
        _("Upstream action done: the after-rate is counted from now."),
        reverse("complaints:causes") + "#upstream-actions",
    )


@login_required
def causes_export(request: Req) -> HttpResponse:
    _guard(request)
    start, end = _period(request)
    stats = selectors.root_cause_stats(
        user=request.user, start=_local_day_start(start), end=_local_day_start(end + timedelta(days=1))
    )
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 CSV with a BOM
    writer = csv.writer(out)
    writer.writerow([_("Category"), *[c.name for c in stats.causes], _("Total")])
    for row in stats.rows:
        writer.writerow([row["category"], *row["counts"], row["total"]])
    writer.writerow([])
    writer.writerow([_("Root cause"), _("Complaints"), _("Share %"), _("Cumulative %")])
    for p in stats.pareto:
        writer.writerow([p["cause"].name, p["n"], f"{p['share']:.1f}", f"{p['cumulative']:.1f}"])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="root-causes-{start}-{end}.csv"'
    return response


# --- joint handling tasks ----------------------------------------------------------------------------


def _experts() -> Any:
    return (
        User.objects.filter(is_active=True)
        .exclude(role="qa")
        .exclude(username="dispatch-bot")
        .order_by("username")
    )


@login_required
def joint_tasks(request: Req) -> HttpResponse:
    status = JointTaskStatus.DONE if request.GET.get("status") == "done" else JointTaskStatus.OPEN
    tasks = selectors.joint_task_list(user=request.user, status=status)
    return render(
        request,
        "complaints/joint_tasks.html",
        {
            "nav": "complaints",
            "tab": "joint",
            "tasks": tasks,
            "status": status,
            "now": timezone.now(),
            "experts": _experts() if may_work(request.user) else [],
        },
    )


def _safe_back(request: Req) -> str:
    back = request.POST.get("back") or "/complaints/joint/"
    return (
        back if back.startswith(("/complaints/", "/tickets/")) and "//" not in back else "/complaints/joint/"
    )


@login_required
@require_POST
def joint_task_action(request: Req, task_id: int, action: str) -> HttpResponse:
    back = _safe_back(request)
    try:
        selectors.joint_task_detail(user=request.user, task_id=task_id)
    except NotFound as exc:
        raise Http404 from exc
    if action == "complete":
        return _act(
            request,
            lambda: services.joint_task_complete(
                actor=request.user, task_id=task_id, result=request.POST.get("result", "")
            ),
            _("Joint conclusion recorded."),
            back,
        )
    if action == "expert":
        raw = request.POST.get("expert") or ""
        expert = User.objects.filter(pk=raw, is_active=True).first() if raw.isdigit() else None
        if expert is None:
            messages.error(request, _("Choose an expert."))
            return redirect(back)
        return _act(
            request,
            lambda: services.joint_task_name_expert(actor=request.user, task_id=task_id, expert=expert),
            _("Expert named."),
            back,
        )
    raise Http404


# --- closure without the callback confirmation -----------------------------------------------------


@login_required
@require_POST
def close_override(request: Req, number: str) -> HttpResponse:
    """The override card on the ticket page: close the complaint without the confirmation."""
    return _act(
        request,
        lambda: closure.complaint_close_override(
            actor=request.user, number=number, reason=request.POST.get("reason", "")
        ),
        _("Complaint closed without the customer's confirmation."),
        reverse("tickets:detail", args=[number]),
    )
