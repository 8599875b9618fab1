"""/api/v1/performance/packs: report packs — list, define, build (and send) for a period, download a
built pack's Excel or PDF, send a built pack again. Managers and admins: every pack; a team lead the
packs of their team; others see none. Bad input is 422 with the field named."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from kefu.accounts.api import ApiRequest
from kefu.reports import selectors, services
from kefu.reports.models import ReportPack, ReportRun

router = Router(tags=["reports"])


class ReportScheduleOut(Schema):
    id: int
    weekday: int
    day_of_month: int
    at_time: str
    emails: list[str]
    robot_kind: str
    due_at: datetime | None


class ReportPackOut(Schema):
    id: int
    name: str
    period_kind: str
    sections: list[str]
    metrics: list[str]
    team_id: int | None
    owner_id: int
    schedules: list[ReportScheduleOut]


class ReportPackIn(Schema):
    name: str = Field(min_length=1, max_length=80)
    period_kind: Literal["day", "week", "month", "quarter", "year"]
    sections: list[str] = Field(default_factory=list, max_length=20)
    metrics: list[str] = Field(default_factory=list, max_length=40)
    team_id: int | None = None


class ReportRunOut(Schema):
    id: int
    pack_id: int
    period: str
    status: str
    delivery: dict[str, str]
    attempts: int
    last_error: str
    retry_at: datetime | None
    built_at: datetime
    build_seconds: float
    xlsx_url: str
    pdf_url: str


class ReportRunDetailOut(ReportRunOut):
    data: dict[str, Any]


class ReportBuildIn(Schema):
    period: str = Field(default="", max_length=16)  # 2026-W45, 2026-11 …; empty: the last whole period
    send: bool = False


class ReportFileQuery(Schema):
    format: Literal["xlsx", "pdf"] = "xlsx"


def _pack_out(p: ReportPack) -> dict[str, Any]:
    return {
        "id": p.pk, "name": p.name, "period_kind": p.period_kind, "sections": p.sections, "metrics": p.metrics,
        "team_id": p.team_id, "owner_id": p.owner_id,
        "schedules": [
            {"id": s.pk, "weekday": s.weekday, "day_of_month": s.day_of_month, "at_time": f"{s.at_time:%H:%M}",
             "emails": s.email_list, "robot_kind": s.robot_kind, "due_at": s.due_at}
            for s in p.schedules.all()
        ],
    }


def _run_out(r: ReportRun, *, data: bool = False) -> dict[str, Any]:
    out = {
        "id": r.pk, "pack_id": r.pack_id, "period": r.period_key, "status": r.status, "delivery": r.delivery,
        "attempts": r.attempts, "last_error": r.last_error, "retry_at": r.retry_at,
        "built_at": r.built_at, "build_seconds": r.build_seconds,
        "xlsx_url": services.run_link(r, "xlsx"), "pdf_url": services.run_link(r, "pdf"),
    }
    if data:
        out["data"] = r.data
    return out


@router.get("", response=list[ReportPackOut], summary="List report packs")
def pack_list(request: ApiRequest) -> list[dict[str, Any]]:
    return [_pack_out(p) for p in selectors.packs_visible_to(request.auth)]


@router.post("", response={201: ReportPackOut}, summary="Define a report pack")
def pack_create(request: ApiRequest, payload: ReportPackIn) -> Status:
    pack = services.pack_create(
        actor=request.auth, name=payload.name, period_kind=payload.period_kind, sections=payload.sections,
        metrics=payload.metrics, team_id=payload.team_id,
    )
    return Status(201, _pack_out(selectors.pack_get(user=request.auth, pack_id=pack.pk)))


@router.get("/{pack_id}", response=ReportPackOut, summary="One report pack")
def pack_detail(request: ApiRequest, pack_id: int) -> dict[str, Any]:
    return _pack_out(selectors.pack_get(user=request.auth, pack_id=pack_id))


@router.get("/{pack_id}/runs", response=list[ReportRunOut], summary="A pack's built periods, newest first")
def pack_runs(request: ApiRequest, pack_id: int) -> list[dict[str, Any]]:
    pack = selectors.pack_get(user=request.auth, pack_id=pack_id)
    return [_run_out(r) for r in selectors.runs_of(user=request.auth, pack_id=pack.pk)]


@router.post("/{pack_id}/runs", response={201: ReportRunDetailOut}, summary="Build a pack for a period (and send it now)")
def pack_build(request: ApiRequest, pack_id: int, payload: ReportBuildIn) -> Status:
    pack = selectors.pack_get(user=request.auth, pack_id=pack_id)
    period = selectors.pack_period(pack, payload.period or None)
    run = services.run_build(actor=request.auth, pack_id=pack.pk, period=period)
    if payload.send:
        run = services.run_send(actor=request.auth, run_id=run.pk)
    return Status(201, _run_out(run, data=True))


@router.get("/runs/{report_run_id}", response=ReportRunDetailOut, summary="A built pack with its figures")
def run_detail(request: ApiRequest, report_run_id: int) -> dict[str, Any]:
    return _run_out(selectors.run_get(user=request.auth, run_id=report_run_id), data=True)


@router.get("/runs/{report_run_id}/file", summary="Download a built pack (Excel or PDF)",
            response={200: None}, openapi_extra={"responses": {200: {"description": "The file", "content": {
                services.XLSX_TYPE: {}, "application/pdf": {}}}}})
def run_file(request: ApiRequest, report_run_id: int, params: Query[ReportFileQuery]) -> HttpResponse:
    run = selectors.run_get(user=request.auth, run_id=report_run_id)
    fmt = params.format
    resp = HttpResponse(bytes(run.xlsx if fmt == "xlsx" else run.pdf),
                        content_type=services.XLSX_TYPE if fmt == "xlsx" else "application/pdf")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(services.file_name(run, fmt))}"
    return resp


@router.post("/runs/{report_run_id}/send", response=ReportRunOut, summary="Send a built pack now")
def run_send(request: ApiRequest, report_run_id: int) -> dict[str, Any]:
    run = selectors.run_get(user=request.auth, run_id=report_run_id)
    return _run_out(services.run_send(actor=request.auth, run_id=run.pk))
