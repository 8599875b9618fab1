"""Workforce API: forecasts, requirements, schedules (planners), the caller's own shifts, leave requests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from kefu.core.apitypes import ApiDate, ApiDateTime, WallTime
from kefu.core.errors import DomainError
from kefu.workforce import selectors, services
from kefu.workforce.errors import WorkforceErrorCode
from kefu.workforce.models import Forecast, LeaveRequest, Queue, Schedule

router = Router(tags=["workforce"])


class QueueSettings(Schema):
    """A queue's goals, costs, history mapping and work rules. Fractions are 0..1 (0.8 = 80%), times in seconds."""

    name: str
    team_id: int | None
    skill_id: int | None
    calendar_id: int | None
    is_active: bool
    interval_minutes: int
    staffing_model: str
    service_level: float
    service_time: float
    asa: float | None
    abandonment: float | None
    occupancy: float | None
    patience: float | None
    shrinkage: float
    hourly_cost: float
    default_aht: float
    forecast_method: str
    promotion_days: list[str]
    count_tickets: bool
    channels: list[str]
    days_off: int
    consecutive_days_off: bool
    max_consecutive_days: int
    min_weekly_hours: float
    max_weekly_hours: float
    shift_hours: float
    shift_earliest_start: WallTime
    shift_latest_start: WallTime
    break_minutes: int
    break_after_hours: float
    break_before_hours: float


class QueueOut(QueueSettings):
    id: int
    history_counted_until: datetime | None


class QueuePatch(Schema):
    """Any subset of the settings; omitted ones stay."""

    name: str | None = None
    team_id: int | None = None
    skill_id: int | None = None
    calendar_id: int | None = None
    is_active: bool | None = None
    interval_minutes: int | None = None
    staffing_model: str | None = None
    service_level: float | None = None
    service_time: float | None = None
    asa: float | None = None
    abandonment: float | None = None
    occupancy: float | None = None
    patience: float | None = None
    shrinkage: float | None = None
    hourly_cost: float | None = None
    default_aht: float | None = None
    forecast_method: str | None = None
    promotion_days: list[str] | None = None
    count_tickets: bool | None = None
    channels: list[str] | None = None
    days_off: int | None = None
    consecutive_days_off: bool | None = None
    max_consecutive_days: int | None = None
    min_weekly_hours: float | None = None
    max_weekly_hours: float | None = None
    shift_hours: float | None = None
    shift_earliest_start: WallTime | None = None
    shift_latest_start: WallTime | None = None
    break_minutes: int | None = None
    break_after_hours: float | None = None
    break_before_hours: float | None = None


# Settings that may be set to null (no goal / no team); for the others an explicit null is a 400.
NULLABLE = {"team_id", "skill_id", "calendar_id", "asa", "abandonment", "occupancy", "patience"}


@router.get("/queues", response=list[QueueOut])
def list_queues(request: Any) -> list[Queue]:
    return list(selectors.queue_list(user=request.auth))


@router.post("/queues", response={201: QueueOut})
def create_queue(request: Any, payload: QueuePatch) -> Status:
    fields = _queue_fields(payload)
    name = fields.pop("name", "") or ""
    return Status(201, services.queue_create(actor=request.auth, name=name, **fields))


@router.get("/queues/{queue_id}", response=QueueOut)
def get_queue(request: Any, queue_id: int) -> Queue:
    return selectors.queue_get(user=request.auth, queue_id=queue_id)


@router.patch("/queues/{queue_id}", response=QueueOut)
def update_queue(request: Any, queue_id: int, payload: QueuePatch) -> Queue:
    return services.queue_update(actor=request.auth, queue_id=queue_id, **_queue_fields(payload))


def _queue_fields(payload: QueuePatch) -> dict[str, Any]:
    fields = payload.dict(exclude_unset=True)
    for key, value in fields.items():
        if value is None and key not in NULLABLE:
            raise DomainError(
                code=WorkforceErrorCode.INVALID_QUEUE,
                message=_("%(field)s may not be null.") % {"field": key},
                fields={key: [_("%(field)s may not be null.") % {"field": key}]},
            )
    return fields


class ForecastIn(Schema):
    queue_id: int
    week_start: ApiDate
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
    start: ApiDateTime
    end: ApiDateTime
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
