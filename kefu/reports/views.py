"""Pages: the packs (define one, list built ones), a pack's preview for a period with downloads,
build-and-store, send now, and schedules. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from datetime import time
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import Team
from kefu.core.errors import DomainError
from kefu.performance.metrics import METRICS
from kefu.reports import selectors, services
from kefu.reports.access import may_use
from kefu.reports.build import build
from kefu.reports.choices import PeriodKind, RobotKind, Section
from kefu.reports.pdf import _fmt

Req = Any
CONTENT_TYPES = {"xlsx": services.XLSX_TYPE, "pdf": "application/pdf"}


def _guard(request: Req) -> None:
    if not may_use(request.user):
        raise Http404


def _file(content: bytes, name: str, fmt: str) -> HttpResponse:
    resp = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    return resp


def _quote(name: str) -> str:
    return quote(name)


@login_required
def home(request: Req) -> HttpResponse:
    _guard(request)
    teams = Team.objects.order_by("name") if request.user.is_supervising else Team.objects.filter(pk=request.user.team_id)
    return render(request, "reports/home.html", {
        "nav": "reports", "packs": selectors.packs_visible_to(request.user), "runs": selectors.runs_of(user=request.user, limit=30),
        "kinds": PeriodKind.choices, "sections": Section.choices, "teams": teams,
        "metrics": [(m.key, m.label) for m in METRICS.values()],
    })


@login_required
@require_POST
def pack_new(request: Req) -> HttpResponse:
    _guard(request)
    team = request.POST.get("team") or None
    try:
        pack = services.pack_create(
            actor=request.user, name=request.POST.get("name", ""), period_kind=request.POST.get("period_kind", ""),
            sections=request.POST.getlist("sections"), metrics=request.POST.getlist("metrics"),
            team_id=int(team) if team and team.isdigit() else None,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("reports:home")
    messages.success(request, _("Report pack defined."))
    return redirect("reports:pack", pack.pk)


def _rows(section: dict[str, Any]) -> list[list[str]]:
    units = section.get("row_units") or []
    out = []
    for i, row in enumerate(section["rows"]):
        cells = []
        for value, col in zip(row, section["columns"], strict=False):
            unit = col["unit"] if col["unit"] != "metric" else (units[i] if i < len(units) else "")
            cells.append(_fmt(value, unit))
        out.append(cells)
    return out


@login_required
def pack(request: Req, pack_id: int) -> HttpResponse:
    """Preview a pack for a period (?period=2026-W45; default the last whole period)."""
    _guard(request)
    try:
        p = selectors.pack_get(user=request.user, pack_id=pack_id)
    except DomainError as exc:
        raise Http404 from exc
    try:
        period = selectors.pack_period(p, request.GET.get("period"))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("reports:pack", p.pk)
    data = build(pack=p, period=period).as_dict()
    sections = [{"title": s["title"], "key": s["key"], "columns": s["columns"], "rows": _rows(s), "note": s["note"]} for s in data["sections"]]
    return render(request, "reports/pack.html", {
        "nav": "reports", "pack": p, "period": period, "data": data, "sections": sections,
        "runs": selectors.runs_of(user=request.user, pack_id=p.pk, limit=20), "schedules": p.schedules.all(),
        "robots": RobotKind.choices, "weekdays": [(i, n) for i, n in enumerate(_weekdays())],
    })


def _weekdays() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


@login_required
def pack_render(request: Req, pack_id: int, fmt: str) -> HttpResponse:
    """Download a pack for a period without storing it."""
    _guard(request)
    if fmt not in CONTENT_TYPES:
        raise Http404
    try:
        p = selectors.pack_get(user=request.user, pack_id=pack_id)
        period = selectors.pack_period(p, request.GET.get("period"))
    except DomainError as exc:
        raise Http404 from exc
    xlsx, pdf = services.render(build(pack=p, period=period).as_dict())
    return _file(xlsx if fmt == "xlsx" else pdf, f"{p.name}-{period.key}.{fmt}", fmt)


@login_required
@require_POST
def pack_build(request: Req, pack_id: int) -> HttpResponse:
    _guard(request)
    try:
        p = selectors.pack_get(user=request.user, pack_id=pack_id)
        period = selectors.pack_period(p, request.POST.get("period"))
        run = services.run_build(actor=request.user, pack_id=p.pk, period=period)
        if request.POST.get("send"):
            run = services.run_send(actor=request.user, run_id=run.pk)
            messages.success(request, _("Built and sent: %(r)s") % {"r": ", ".join(f"{k} {v}" for k, v in run.delivery.items())})
        else:
            messages.success(request, _("Built and stored."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("reports:pack", pack_id)


@login_required
@require_POST
def schedule_new(request: Req, pack_id: int) -> HttpResponse:
    _guard(request)
    try:
        p = selectors.pack_get(user=request.user, pack_id=pack_id)
        hh, _sep, mm = (request.POST.get("at_time") or "08:00").partition(":")
        services.schedule_create(
            actor=request.user, pack_id=p.pk, weekday=int(request.POST.get("weekday") or 0),
            day_of_month=int(request.POST.get("day_of_month") or 1), at_time=time(int(hh), int(mm or 0)),
            emails=request.POST.get("emails", ""), robot_kind=request.POST.get("robot_kind", ""),
            robot_url=request.POST.get("robot_url", ""), robot_secret=request.POST.get("robot_secret", ""),
        )
        messages.success(request, _("Schedule added."))
    except (DomainError, ValueError) as exc:
        messages.error(request, str(getattr(exc, "message", _("Check the time and numbers."))))
    return redirect("reports:pack", pack_id)


@login_required
def download(request: Req, run_id: int, fmt: str) -> HttpResponse:
    """A stored pack's file (the link in mails and robot messages)."""
    _guard(request)
    if fmt not in CONTENT_TYPES:
        raise Http404
    try:
        run = selectors.run_get(user=request.user, run_id=run_id)
    except DomainError as exc:
        raise Http404 from exc
    return _file(bytes(run.xlsx if fmt == "xlsx" else run.pdf), services.file_name(run, fmt), fmt)
