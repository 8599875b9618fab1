"""Workforce API: forecasts, requirements, schedules (planners), the caller's own shifts, leave requests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Router, Schema, Status

from kefu.workforce import selectors, services
from kefu.workforce.models import Forecast, LeaveRequest, Schedule

router = Router(tags=["workforce"])


class ForecastIn(Schema):
    queue_id: int
    week_start: date
    method: str | None = None


class ForecastOut(Schema):
    id: int
    queue_id: int
    week_start: date
    method: str
    backtest_wape: dict[str, float]
    interval_minutes: int
    calls: list[float]
    aht: list[float]


class RequirementOut(Schema):
    forecast_id: int
    week_start: date
    interval_minutes: int
    agents: list[int]
    heads: list[int]
    goals: dict[str, Any]


class ScheduleIn(Schema):
    forecast_id: int
    time_limit: float = 10.0


class ShiftOut(Schema):
    agent_id: int | None
    tour: int
    day: date
    start: datetime
    end: datetime
    break_start: datetime | None
    break_end: datetime | None


class ScheduleOut(Schema):
    id: int
    queue_id: int
    week_start: date
    forecast_id: int
    status: str
    objective_hours: float
    lp_bound_hours: float
    gap: float
    solver_status: str
    solve_seconds: float


class ScheduleDetailOut(ScheduleOut):
    shifts: list[ShiftOut]
    coverage: list[int]


class LeaveIn(Schema):
    start: datetime
    end: datetime
    reason: str


class LeaveDecisionIn(Schema):
    approve: bool
    note: str = ""


class LeaveOut(Schema):
    id: int
    agent_id: int
    start: datetime
    end: datetime
    reason: str
    status: str


class StandbyOut(Schema):
    agent_id: int
    agent: str
    start: datetime
    end: datetime
    covers: int


class IntradayOut(Schema):
    day: date
    now_slot: int
    ratio: float
    forecast: list[float]
    reforecast: list[float]
    actual: list[float]
    required: list[int]
    scheduled: list[int]
    gap: list[int]
    proposals: list[StandbyOut]


def _forecast_out(fc: Forecast) -> dict[str, Any]:
    return {"id": fc.pk, "queue_id": fc.queue_id, "week_start": fc.week_start, "method": fc.method, "backtest_wape": fc.backtest_wape,
            "interval_minutes": fc.queue.interval_minutes, "calls": fc.calls, "aht": fc.aht}  # fmt: skip


@router.post("/forecasts", response={201: ForecastOut})
def create_forecast(request: Any, payload: ForecastIn) -> Status:
    fc = services.forecast_create(
        actor=request.auth, queue_id=payload.queue_id, week_start=payload.week_start, method=payload.method
    )
    return Status(201, _forecast_out(fc))


@router.get("/forecasts/{forecast_id}", response=ForecastOut)
def get_forecast(request: Any, forecast_id: int) -> dict[str, Any]:
    return _forecast_out(selectors.forecast_get(user=request.auth, forecast_id=forecast_id))


@router.get("/forecasts/{forecast_id}/requirements", response=RequirementOut)
def get_requirements(request: Any, forecast_id: int) -> dict[str, Any]:
    fc = selectors.forecast_get(user=request.auth, forecast_id=forecast_id)
    return {"forecast_id": fc.pk, "week_start": fc.week_start, "interval_minutes": fc.queue.interval_minutes,
            "agents": fc.agents, "heads": fc.heads, "goals": fc.goals}  # fmt: skip


@router.get("/queues/{queue_id}/intraday", response=IntradayOut)
def get_intraday(request: Any, queue_id: int) -> selectors.Intraday:
    """Re-forecast of the rest of today from the actuals so far, gap per interval, standby call-ins."""
    return selectors.intraday(user=request.auth, queue_id=queue_id)


@router.get("/schedules", response=list[ScheduleOut])
def list_schedules(request: Any, queue_id: int | None = None) -> list[Schedule]:
    return list(selectors.schedule_list(user=request.auth, queue_id=queue_id)[:100])


@router.post("/schedules", response={201: ScheduleOut})
def create_schedule(request: Any, payload: ScheduleIn) -> Status:
    limit = min(max(payload.time_limit, 0.5), 60.0)
    return Status(
        201, services.schedule_create(actor=request.auth, forecast_id=payload.forecast_id, time_limit=limit)
    )


@router.get("/schedules/{schedule_id}", response=ScheduleDetailOut)
def get_schedule(request: Any, schedule_id: int) -> dict[str, Any]:
    s = selectors.schedule_get(user=request.auth, schedule_id=schedule_id)
    out = ScheduleOut.from_orm(s).dict()
    out["shifts"] = list(s.shifts.order_by("tour", "day"))
    out["coverage"] = selectors.coverage_of(s).reshape(-1).tolist()
    return out


@router.post("/schedules/{schedule_id}/publish", response=ScheduleOut)
def publish_schedule(request: Any, schedule_id: int) -> Schedule:
    return services.schedule_publish(actor=request.auth, schedule_id=schedule_id)


@router.post("/leave", response={201: LeaveOut})
def request_leave(request: Any, payload: LeaveIn) -> Status:
    return Status(
        201,
        services.leave_request_create(
            actor=request.auth, start=payload.start, end=payload.end, reason=payload.reason
        ),
    )


@router.post("/leave/{leave_id}/decision", response=LeaveOut)
def decide_leave(request: Any, leave_id: int, payload: LeaveDecisionIn) -> LeaveRequest:
    return services.leave_decide(
        actor=request.auth, leave_id=leave_id, approve=payload.approve, note=payload.note
    )
