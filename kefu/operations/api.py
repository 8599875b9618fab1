"""/api/v1/operations/: emergency plans (read, write, activate) and their incidents (acknowledge,
checklist, level, messages, close, review, monthly summary); materials; equipment (devices, faults,
maintenance, availability, targets) and the managers' alerts; budget lines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kefu.accounts.api import ApiRequest
from kefu.core.apitypes import ApiDate
from kefu.core.errors import DomainError, NotFound
from kefu.operations import availability as A
from kefu.operations import budget, equipment, selectors, services, stock
from kefu.operations.access import access_incident, access_plan, require_manager
from kefu.operations.errors import OperationsErrorCode as E
from kefu.operations.models import (
    BudgetEntry,
    BudgetLine,
    BudgetReallocation,
    DeviceFault,
    EmergencyPlan,
    Incident,
    MaintenancePlan,
    Requisition,
)

router = Router(tags=["operations"])


class OpsPlanRoleIn(Schema):
    user: int
    duty: Literal["notified", "decides", "acts"] = "notified"


class OpsPlanLevelIn(Schema):
    level: int = Field(ge=1, le=3)
    title: str = Field("", max_length=100)
    ack_minutes: int = Field(5, ge=1, le=1440)
    steps: list[str] = []
    materials: str = ""
    outside_contacts: str = ""
    roles: list[OpsPlanRoleIn] = []


class OpsPlanIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["complaint_escalation", "system_outage", "public_health", "peak_overload", "other"]
    description: str = ""
    levels: list[OpsPlanLevelIn] = []


class OpsPlanRoleOut(Schema):
    user_id: int
    user_name: str
    duty: str


class OpsPlanLevelOut(Schema):
    level: int
    title: str
    ack_minutes: int
    steps: list[str]
    materials: str
    outside_contacts: str
    roles: list[OpsPlanRoleOut]


class OpsPlanOut(Schema):
    id: int
    name: str
    kind: str
    is_active: bool
    levels: list[OpsPlanLevelOut] | None = None


class OpsActivateIn(Schema):
    level: int = Field(ge=1, le=3)
    title: str = Field("", max_length=200)
    is_drill: bool = False


class OpsNoticeOut(Schema):
    user_id: int
    user_name: str
    duty: str
    channels: list[str]
    sent_at: datetime
    acknowledged_at: datetime | None
    escalated_at: datetime | None


class OpsStepOut(Schema):
    id: int
    level: int
    text: str
    done_at: datetime | None


class OpsIncidentEventOut(Schema):
    kind: str
    actor_id: int | None
    text: str
    at: datetime


class EmergencyIncidentOut(Schema):
    id: int
    plan_id: int
    plan_name: str
    level: int
    title: str
    is_drill: bool
    status: str
    trigger: str
    activated_at: datetime
    closed_at: datetime | None
    notices: list[OpsNoticeOut] | None = None
    steps: list[OpsStepOut] | None = None
    timeline: list[OpsIncidentEventOut] | None = None


class OpsLevelIn(Schema):
    level: int = Field(ge=1, le=3)


class OpsIncidentMessageIn(Schema):
    text: str = Field(min_length=1, max_length=2000)


class OpsReviewActionIn(Schema):
    text: str = Field(min_length=1, max_length=300)
    owner: int
    due_on: ApiDate


class OpsReviewIn(Schema):
    key_points: str = Field(min_length=1)
    causes: str = ""
    actions: list[OpsReviewActionIn] = []


class OpsReviewOut(Schema):
    id: int
    incident_id: int
    actions: int


class OpsMonthRowOut(Schema):
    plan: str
    real: int
    drills: int
    median_ack_seconds: float | None
    reviewed: int


def plan_out(p: EmergencyPlan, *, full: bool = False) -> OpsPlanOut:
    levels = None
    if full:
        levels = [
            OpsPlanLevelOut(
                level=lv.level, title=lv.title, ack_minutes=lv.ack_minutes, steps=list(lv.steps), materials=lv.materials,
                outside_contacts=lv.outside_contacts,
                roles=[OpsPlanRoleOut(user_id=r.user_id, user_name=r.user.name, duty=r.duty) for r in lv.roles.all()],
            )  # fmt: skip
            for lv in p.levels.all()
        ]
    return OpsPlanOut(id=p.pk, name=p.name, kind=p.kind, is_active=p.is_active, levels=levels)


def incident_out(i: Incident, *, full: bool = False) -> EmergencyIncidentOut:
    out = EmergencyIncidentOut(
        id=i.pk, plan_id=i.plan_id, plan_name=i.plan.name, level=i.level, title=i.title, is_drill=i.is_drill,
        status=i.status, trigger=i.trigger, activated_at=i.activated_at, closed_at=i.closed_at,
    )  # fmt: skip
    if full:
        out.notices = [
            OpsNoticeOut(
                user_id=n.user_id, user_name=n.user.name, duty=n.duty, channels=[c for c in n.channels.split(",") if c],
                sent_at=n.sent_at, acknowledged_at=n.acknowledged_at, escalated_at=n.escalated_at,
            )  # fmt: skip
            for n in i.notices.all()
        ]
        out.steps = [OpsStepOut(id=s.pk, level=s.level, text=s.text, done_at=s.done_at) for s in i.steps.all()]
        out.timeline = [OpsIncidentEventOut(kind=e.kind, actor_id=e.actor_id, text=e.text, at=e.created_at) for e in i.events.all()]
    return out


def _full(request: ApiRequest, incident_id: int) -> EmergencyIncidentOut:
    found = selectors.incident_detail(viewer=request.auth, incident_id=incident_id)
    if found is None:
        raise NotFound(code=E.INCIDENT_NOT_FOUND, message=_("Incident not found."))
    return incident_out(found, full=True)


@router.get("/plans", response=list[OpsPlanOut])
def plans(request: ApiRequest) -> list[OpsPlanOut]:
    return [plan_out(p) for p in selectors.plan_list(viewer=request.auth)]


@router.post("/plans", response={201: OpsPlanOut})
def plan_create(request: ApiRequest, payload: OpsPlanIn) -> Status:
    plan = services.plan_create(
        actor=request.auth, name=payload.name, kind=payload.kind, description=payload.description,
        levels=[
            services.LevelInput(
                level=lv.level, title=lv.title, ack_minutes=lv.ack_minutes, steps=lv.steps, materials=lv.materials,
                outside_contacts=lv.outside_contacts, roles=[(r.user, r.duty) for r in lv.roles],
            )  # fmt: skip
            for lv in payload.levels
        ],
    )
    detail = selectors.plan_detail(viewer=request.auth, plan_id=plan.pk)
    assert detail is not None
    return Status(201, plan_out(detail, full=True))


@router.get("/plans/{plan_id}", response=OpsPlanOut)
def plan_get(request: ApiRequest, plan_id: int) -> OpsPlanOut:
    access_plan(user=request.auth, plan_id=plan_id)
    detail = selectors.plan_detail(viewer=request.auth, plan_id=plan_id)
    assert detail is not None
    return plan_out(detail, full=True)


@router.post("/plans/{plan_id}/activate", response={201: EmergencyIncidentOut})
def activate(request: ApiRequest, plan_id: int, payload: OpsActivateIn) -> Status:
    access_plan(user=request.auth, plan_id=plan_id)
    incident = services.incident_activate(
        actor=request.auth, plan_id=plan_id, level=payload.level, title=payload.title, is_drill=payload.is_drill
    )
    return Status(201, _full(request, incident.pk))


@router.get("/incidents", response=list[EmergencyIncidentOut])
def incidents(request: ApiRequest, drills: bool | None = None) -> list[EmergencyIncidentOut]:
    return [incident_out(i) for i in selectors.incident_list(viewer=request.auth, drills=drills)]


@router.get("/incidents/summary", response=list[OpsMonthRowOut])
def summary(request: ApiRequest, month: ApiDate | None = None) -> list[OpsMonthRowOut]:
    first: date = (month or timezone.localdate()).replace(day=1)
    return [OpsMonthRowOut(**r.__dict__) for r in selectors.monthly_summary(viewer=request.auth, month=first)]


@router.get("/incidents/{incident_id}", response=EmergencyIncidentOut)
def incident_get(request: ApiRequest, incident_id: int) -> EmergencyIncidentOut:
    return _full(request, incident_id)


@router.post("/incidents/{incident_id}/acknowledge", response=EmergencyIncidentOut)
def acknowledge(request: ApiRequest, incident_id: int) -> EmergencyIncidentOut:
    services.incident_acknowledge(actor=request.auth, incident_id=incident_id)
    return _full(request, incident_id)


@router.post("/incidents/{incident_id}/steps/{step_id}", response=EmergencyIncidentOut)
def step_done(request: ApiRequest, incident_id: int, step_id: int) -> EmergencyIncidentOut:
    services.incident_step_done(actor=request.auth, incident_id=incident_id, step_id=step_id)
    return _full(request, incident_id)


@router.post("/incidents/{incident_id}/level", response=EmergencyIncidentOut)
def change_level(request: ApiRequest, incident_id: int, payload: OpsLevelIn) -> EmergencyIncidentOut:
    services.incident_change_level(actor=request.auth, incident_id=incident_id, level=payload.level)
    return _full(request, incident_id)


@router.post("/incidents/{incident_id}/messages", response={201: EmergencyIncidentOut})
def message(request: ApiRequest, incident_id: int, payload: OpsIncidentMessageIn) -> Status:
    services.incident_message(actor=request.auth, incident_id=incident_id, text=payload.text)
    return Status(201, _full(request, incident_id))


@router.post("/incidents/{incident_id}/close", response=EmergencyIncidentOut)
def close(request: ApiRequest, incident_id: int) -> EmergencyIncidentOut:
    services.incident_close(actor=request.auth, incident_id=incident_id)
    return _full(request, incident_id)


@router.post("/incidents/{incident_id}/review", response={201: OpsReviewOut})
def review(request: ApiRequest, incident_id: int, payload: OpsReviewIn) -> Status:
    access_incident(user=request.auth, incident_id=incident_id)
    r = services.review_write(
        actor=request.auth, incident_id=incident_id, key_points=payload.key_points, causes=payload.causes,
        actions=[services.ActionInput(text=a.text, owner_id=a.owner, due_on=a.due_on) for a in payload.actions],
    )  # fmt: skip
    return Status(201, OpsReviewOut(id=r.pk, incident_id=incident_id, actions=r.actions.count()))


# --- materials -----------------------------------------------------------------------------------------


class OpsStockOut(Schema):
    store_id: int
    store: str
    material_id: int
    material: str
    unit: str
    is_emergency: bool
    quantity: int


class OpsRequisitionIn(Schema):
    store: int
    material: int
    quantity: int = Field(ge=1, le=100000)
    reason: str = Field("", max_length=200)


class OpsRequisitionOut(Schema):
    id: int
    store_id: int
    material_id: int
    quantity: int
    amount: str
    status: str
    requested_by_id: int
    approved_by_id: int | None
    issued_by_id: int | None
    confirmed_by_id: int | None
    created_at: datetime


def requisition_out(r: Requisition) -> OpsRequisitionOut:
    return OpsRequisitionOut(
        id=r.pk, store_id=r.store_id, material_id=r.material_id, quantity=r.quantity, amount=str(r.amount), status=r.status,
        requested_by_id=r.requested_by_id, approved_by_id=r.approved_by_id, issued_by_id=r.issued_by_id,
        confirmed_by_id=r.confirmed_by_id, created_at=r.created_at,
    )  # fmt: skip


def _requisition(request: ApiRequest, requisition_id: int) -> Requisition:
    found = selectors.requisition_get(viewer=request.auth, requisition_id=requisition_id)
    if found is None:
        raise NotFound(code=E.REQUISITION_NOT_FOUND, message=_("Requisition not found."))
    return found


@router.get("/stock", response=list[OpsStockOut])
def stock_list(request: ApiRequest) -> list[OpsStockOut]:
    return [
        OpsStockOut(store_id=s.store_id, store=s.store.name, material_id=s.material_id, material=s.material.name,
                    unit=s.material.unit, is_emergency=s.material.is_emergency, quantity=s.quantity)  # fmt: skip
        for s in selectors.stock_list(viewer=request.auth)
    ]


@router.get("/requisitions", response=list[OpsRequisitionOut])
def requisitions(request: ApiRequest) -> list[OpsRequisitionOut]:
    return [requisition_out(r) for r in selectors.requisition_list(viewer=request.auth)]


@router.post("/requisitions", response={201: OpsRequisitionOut})
def requisition_create(request: ApiRequest, payload: OpsRequisitionIn) -> Status:
    r = stock.requisition_create(
        actor=request.auth, store_id=payload.store, material_id=payload.material, quantity=payload.quantity, reason=payload.reason
    )
    return Status(201, requisition_out(r))


@router.post("/requisitions/{requisition_id}/approve", response=OpsRequisitionOut)
def requisition_approve(request: ApiRequest, requisition_id: int) -> OpsRequisitionOut:
    _requisition(request, requisition_id)
    return requisition_out(stock.requisition_decide(actor=request.auth, requisition_id=requisition_id, approve=True))


@router.post("/requisitions/{requisition_id}/reject", response=OpsRequisitionOut)
def requisition_reject(request: ApiRequest, requisition_id: int) -> OpsRequisitionOut:
    _requisition(request, requisition_id)
    return requisition_out(stock.requisition_decide(actor=request.auth, requisition_id=requisition_id, approve=False))


@router.post("/requisitions/{requisition_id}/issue", response=OpsRequisitionOut)
def requisition_issue(request: ApiRequest, requisition_id: int) -> OpsRequisitionOut:
    _requisition(request, requisition_id)
    return requisition_out(stock.requisition_issue(actor=request.auth, requisition_id=requisition_id))


@router.post("/requisitions/{requisition_id}/confirm", response=OpsRequisitionOut)
def requisition_confirm(request: ApiRequest, requisition_id: int) -> OpsRequisitionOut:
    _requisition(request, requisition_id)
    return requisition_out(stock.requisition_confirm(actor=request.auth, requisition_id=requisition_id))


@router.post("/requisitions/{requisition_id}/return", response=OpsRequisitionOut)
def requisition_return(request: ApiRequest, requisition_id: int) -> OpsRequisitionOut:
    _requisition(request, requisition_id)
    return requisition_out(stock.requisition_return(actor=request.auth, requisition_id=requisition_id))


# --- equipment -----------------------------------------------------------------------------------------

DeviceKindLiteral = Literal["phone", "headset", "pc", "printer", "queue_machine"]


class OpsDeviceIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    kind: DeviceKindLiteral
    asset_no: str = Field(min_length=1, max_length=32)
    location: str = Field("", max_length=100)
    in_service_since: ApiDate | None = None


class OpsDeviceOut(Schema):
    id: int
    name: str
    kind: str
    asset_no: str
    location: str
    is_active: bool
    availability: float | None = Field(None, description="this month so far of the whole month, in percent")
    target: float
    under_target: bool
    open_faults: int


class OpsFaultIn(Schema):
    description: str = Field(min_length=1, max_length=2000)
    priority: Literal["urgent", "high", "normal", "low"] = "normal"


class OpsFaultOut(Schema):
    id: int
    device_id: int
    ticket_number: str
    description: str
    reported_at: datetime
    resolved_at: datetime | None
    downtime_hours: float


class OpsMaintenancePlanIn(Schema):
    task: str = Field(min_length=1, max_length=200)
    interval_days: int = Field(ge=1, le=3650)
    first_due_on: ApiDate


class OpsMaintenanceDoneIn(Schema):
    done_on: ApiDate | None = None
    note: str = Field("", max_length=300)


class OpsMaintenancePlanOut(Schema):
    id: int
    device_id: int
    task: str
    interval_days: int
    next_due_on: date
    last_done_on: date | None


class OpsServiceRecordOut(Schema):
    kind: str
    note: str
    fault_id: int | None
    at: datetime


class OpsMonthAvailabilityOut(Schema):
    month: str
    availability: float | None
    downtime_hours: float


class OpsDeviceDetailOut(OpsDeviceOut):
    faults: list[OpsFaultOut]
    plans: list[OpsMaintenancePlanOut]
    history: list[OpsServiceRecordOut]
    months: list[OpsMonthAvailabilityOut]


class OpsKindAvailabilityOut(Schema):
    kind: str
    devices: int
    availability: float | None
    target: float
    under_target: bool


class OpsAvailabilityOut(Schema):
    month: str
    devices: list[OpsDeviceOut]
    kinds: list[OpsKindAvailabilityOut]


class OpsTargetIn(Schema):
    kind: DeviceKindLiteral
    target: Decimal = Field(gt=0, le=100, max_digits=5, decimal_places=2)


class OpsTargetOut(Schema):
    kind: str
    target: float


class OpsAlertOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    seen_at: datetime | None


def _pct(a: A.Availability) -> float | None:
    p = a.percent
    return float(p) if p is not None else None


def device_out(row: selectors.DeviceRow) -> OpsDeviceOut:
    d = row.device
    return OpsDeviceOut(
        id=d.pk, name=d.name, kind=d.kind, asset_no=d.asset_no, location=d.location, is_active=d.is_active,
        availability=_pct(row.availability), target=float(row.target), under_target=row.under, open_faults=row.open_faults,
    )  # fmt: skip


def fault_out(f: DeviceFault, now: datetime) -> OpsFaultOut:
    end = f.resolved_at or now
    return OpsFaultOut(
        id=f.pk, device_id=f.device_id, ticket_number=f.ticket.number, description=f.description, reported_at=f.reported_at,
        resolved_at=f.resolved_at, downtime_hours=round((end - f.reported_at).total_seconds() / 3600, 2),
    )  # fmt: skip


def plan_row_out(p: MaintenancePlan) -> OpsMaintenancePlanOut:
    return OpsMaintenancePlanOut(
        id=p.pk, device_id=p.device_id, task=p.task, interval_days=p.interval_days, next_due_on=p.next_due_on,
        last_done_on=p.last_done_on,
    )  # fmt: skip


def _month(month: str | None) -> date:
    if not month:
        return timezone.localdate().replace(day=1)
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        first = None
    if first is None or not 1900 <= first.year <= 2999:
        msg = _("Give the month as YYYY-MM.")
        raise DomainError(code=E.INVALID_INPUT, message=msg, fields={"month": [msg]}, status=422)
    return first


def _device_detail(request: ApiRequest, device_id: int) -> OpsDeviceDetailOut:
    device = selectors.device_detail(viewer=request.auth, device_id=device_id)
    if device is None:
        raise NotFound(code=E.DEVICE_NOT_FOUND, message=_("Device not found."))
    now = timezone.now()
    row = next(r for r in selectors.device_rows(viewer=request.auth, month=timezone.localdate(now).replace(day=1), now=now) if r.device.pk == device.pk)
    base = device_out(row).dict()
    return OpsDeviceDetailOut(
        **base,
        faults=[fault_out(f, now) for f in device.faults.all()],
        plans=[plan_row_out(p) for p in device.plans.all()],
        history=[OpsServiceRecordOut(kind=r.kind, note=r.note, fault_id=r.fault_id, at=r.at) for r in device.records.all()],
        months=[
            OpsMonthAvailabilityOut(month=f"{m:%Y-%m}", availability=_pct(a), downtime_hours=round(a.downtime_seconds / 3600, 2))
            for m, a in selectors.device_history(device=device, now=now)
        ],
    )


@router.get("/devices", response=list[OpsDeviceOut])
def devices(request: ApiRequest, kind: DeviceKindLiteral | None = None) -> list[OpsDeviceOut]:
    month = timezone.localdate().replace(day=1)
    return [device_out(r) for r in selectors.device_rows(viewer=request.auth, month=month, kind=kind)]


@router.post("/devices", response={201: OpsDeviceDetailOut})
def device_create(request: ApiRequest, payload: OpsDeviceIn) -> Status:
    d = equipment.device_create(
        actor=request.auth, name=payload.name, kind=payload.kind, asset_no=payload.asset_no, location=payload.location,
        in_service_since=payload.in_service_since,
    )  # fmt: skip
    return Status(201, _device_detail(request, d.pk))


@router.get("/devices/{device_id}", response=OpsDeviceDetailOut)
def device_get(request: ApiRequest, device_id: int) -> OpsDeviceDetailOut:
    return _device_detail(request, device_id)


@router.post("/devices/{device_id}/faults", response={201: OpsFaultOut})
def fault_report(request: ApiRequest, device_id: int, payload: OpsFaultIn) -> Status:
    if selectors.device_detail(viewer=request.auth, device_id=device_id) is None:
        raise NotFound(code=E.DEVICE_NOT_FOUND, message=_("Device not found."))
    f = equipment.fault_report(actor=request.auth, device_id=device_id, description=payload.description, priority=payload.priority)
    return Status(201, fault_out(f, timezone.now()))


@router.post("/devices/{device_id}/maintenance-plans", response={201: OpsMaintenancePlanOut})
def maintenance_plan_add(request: ApiRequest, device_id: int, payload: OpsMaintenancePlanIn) -> Status:
    p = equipment.maintenance_plan_add(
        actor=request.auth, device_id=device_id, task=payload.task, interval_days=payload.interval_days,
        first_due_on=payload.first_due_on,
    )  # fmt: skip
    return Status(201, plan_row_out(p))


@router.get("/maintenance/due", response=list[OpsMaintenancePlanOut])
def maintenance_due(request: ApiRequest) -> list[OpsMaintenancePlanOut]:
    return [plan_row_out(p) for p in selectors.maintenance_due(viewer=request.auth)]


@router.post("/maintenance-plans/{maintenance_plan_id}/done", response=OpsMaintenancePlanOut)
def maintenance_done(request: ApiRequest, maintenance_plan_id: int, payload: OpsMaintenanceDoneIn) -> OpsMaintenancePlanOut:
    p = equipment.maintenance_done(actor=request.auth, plan_id=maintenance_plan_id, done_on=payload.done_on, note=payload.note)
    return plan_row_out(p)


@router.get("/availability", response=OpsAvailabilityOut)
def availability(request: ApiRequest, month: str | None = None) -> OpsAvailabilityOut:
    first = _month(month)
    rows = selectors.device_rows(viewer=request.auth, month=first)
    return OpsAvailabilityOut(
        month=f"{first:%Y-%m}", devices=[device_out(r) for r in rows],
        kinds=[
            OpsKindAvailabilityOut(kind=k.kind, devices=k.devices, availability=_pct(k.availability), target=float(k.target), under_target=k.under)
            for k in selectors.kind_rows(rows)
        ],
    )  # fmt: skip


@router.post("/availability/targets", response=OpsTargetOut)
def target_set(request: ApiRequest, payload: OpsTargetIn) -> OpsTargetOut:
    row = equipment.availability_target_set(actor=request.auth, kind=payload.kind, target=payload.target)
    return OpsTargetOut(kind=row.kind, target=float(row.target))


@router.get("/alerts", response=list[OpsAlertOut])
def alerts(request: ApiRequest, unseen: bool = False) -> list[OpsAlertOut]:
    require_manager(request.auth)
    return [
        OpsAlertOut(id=a.pk, kind=a.kind, title=a.title, body=a.body, link=a.link, created_at=a.created_at, seen_at=a.seen_at)
        for a in selectors.alerts_for(viewer=request.auth, unseen=unseen)
    ]


@router.post("/alerts/{ops_alert_id}/seen", response=OpsAlertOut)
def alert_seen(request: ApiRequest, ops_alert_id: int) -> OpsAlertOut:
    a = equipment.alert_seen(actor=request.auth, alert_id=ops_alert_id)
    return OpsAlertOut(id=a.pk, kind=a.kind, title=a.title, body=a.body, link=a.link, created_at=a.created_at, seen_at=a.seen_at)


# --- budget ------------------------------------------------------------------------------------------

CostKindLiteral = Literal["training", "system", "equipment_repair", "outsourcing", "materials"]
Money = Decimal


class OpsBudgetLineIn(Schema):
    year: int = Field(ge=2000, le=2999)
    cost_kind: CostKindLiteral
    plan: Money = Field(ge=0, max_digits=14, decimal_places=2, description="yuan")
    name: str = Field("", max_length=100)


class OpsBudgetLineOut(Schema):
    id: int
    year: int
    cost_kind: str
    name: str
    plan: str = Field(description="yuan, two decimals")
    committed: str
    actual: str
    used: str
    used_percent: float | None


class OpsBudgetEntryIn(Schema):
    kind: Literal["commitment", "actual"]
    amount: Money = Field(gt=0, max_digits=14, decimal_places=2, description="yuan")
    note: str = Field(min_length=1, max_length=200)
    project_id: int | None = None
    settles_id: int | None = Field(None, description="an open commitment of the line this actual settles")


class OpsBudgetEntryOut(Schema):
    id: int
    kind: str
    amount: str
    note: str
    requisition_id: int | None
    project_id: int | None
    settles_id: int | None
    actor_id: int | None
    at: datetime


class OpsBudgetLineDetailOut(OpsBudgetLineOut):
    entries: list[OpsBudgetEntryOut]


class OpsReallocationIn(Schema):
    from_line_id: int
    to_line_id: int
    amount: Money = Field(gt=0, max_digits=14, decimal_places=2, description="yuan")
    reason: str = Field(min_length=1, max_length=300)


class OpsReallocationOut(Schema):
    id: int
    year: int
    from_line_id: int
    to_line_id: int
    amount: str
    reason: str
    from_plan_before: str
    from_plan_after: str
    to_plan_before: str
    to_plan_after: str
    actor_id: int
    at: datetime


class OpsProjectIn(Schema):
    budget_line_id: int
    name: str = Field(min_length=1, max_length=100)
    team_id: int | None = None
    started_on: ApiDate
    ended_on: ApiDate
    window_days: int = Field(30, ge=1, le=366)


class OpsProjectReturnOut(Schema):
    project_id: int
    name: str
    budget_line_id: int
    team_id: int | None
    cost: str
    before: list[date]
    after: list[date]
    csat_before: float | None
    csat_after: float | None
    csat_change: float | None
    complaint_rate_before: float | None = Field(None, description="complaints per 1,000 contacts")
    complaint_rate_after: float | None
    complaint_rate_change: float | None
    cost_per_csat_point: str | None
    complete: bool


def line_out(ln: BudgetLine) -> OpsBudgetLineOut:
    pct = ln.used_percent
    return OpsBudgetLineOut(
        id=ln.pk, year=ln.year, cost_kind=ln.cost_kind, name=ln.name, plan=str(ln.plan), committed=str(ln.committed),
        actual=str(ln.actual), used=str(ln.used), used_percent=float(pct) if pct is not None else None,
    )  # fmt: skip


def entry_out(e: BudgetEntry) -> OpsBudgetEntryOut:
    return OpsBudgetEntryOut(
        id=e.pk, kind=e.kind, amount=str(e.amount), note=e.note, requisition_id=e.requisition_id, project_id=e.project_id,
        settles_id=e.settles_id, actor_id=e.actor_id, at=e.at,
    )  # fmt: skip


def realloc_out(r: BudgetReallocation) -> OpsReallocationOut:
    return OpsReallocationOut(
        id=r.pk, year=r.year, from_line_id=r.from_line_id, to_line_id=r.to_line_id, amount=str(r.amount), reason=r.reason,
        from_plan_before=str(r.from_plan_before), from_plan_after=str(r.from_plan_after),
        to_plan_before=str(r.to_plan_before), to_plan_after=str(r.to_plan_after), actor_id=r.actor_id, at=r.at,
    )  # fmt: skip


def _year(year: int | None) -> int:
    if year is None:
        return timezone.localdate().year
    if not 2000 <= year <= 2999:
        msg = _("Give a year between 2000 and 2999.")
        raise DomainError(code=E.INVALID_INPUT, message=msg, fields={"year": [msg]}, status=422)
    return year


def _line_detail(request: ApiRequest, line_id: int) -> OpsBudgetLineDetailOut:
    require_manager(request.auth)
    ln = selectors.budget_line_detail(viewer=request.auth, line_id=line_id)
    if ln is None:
        raise NotFound(code=E.BUDGET_LINE_NOT_FOUND, message=_("Budget line not found."))
    return OpsBudgetLineDetailOut(**line_out(ln).dict(), entries=[entry_out(e) for e in ln.entries.all()])


@router.get("/budget/lines", response=list[OpsBudgetLineOut])
def budget_lines(request: ApiRequest, year: int | None = None) -> list[OpsBudgetLineOut]:
    require_manager(request.auth)
    return [line_out(ln) for ln in selectors.budget_lines(viewer=request.auth, year=_year(year))]


@router.post("/budget/lines", response={201: OpsBudgetLineDetailOut})
def budget_line_create(request: ApiRequest, payload: OpsBudgetLineIn) -> Status:
    ln = budget.line_create(actor=request.auth, year=payload.year, cost_kind=payload.cost_kind, plan=payload.plan, name=payload.name)
    return Status(201, _line_detail(request, ln.pk))


@router.get("/budget/lines/{budget_line_id}", response=OpsBudgetLineDetailOut)
def budget_line_get(request: ApiRequest, budget_line_id: int) -> OpsBudgetLineDetailOut:
    return _line_detail(request, budget_line_id)


@router.post("/budget/lines/{budget_line_id}/entries", response={201: OpsBudgetLineDetailOut})
def budget_entry_post(request: ApiRequest, budget_line_id: int, payload: OpsBudgetEntryIn) -> Status:
    budget.entry_post(
        actor=request.auth, line_id=budget_line_id, kind=payload.kind, amount=payload.amount, note=payload.note,
        project_id=payload.project_id, settles_id=payload.settles_id,
    )  # fmt: skip
    return Status(201, _line_detail(request, budget_line_id))


@router.get("/budget/reallocations", response=list[OpsReallocationOut])
def budget_reallocations(request: ApiRequest, year: int | None = None) -> list[OpsReallocationOut]:
    require_manager(request.auth)
    return [realloc_out(r) for r in selectors.reallocations(viewer=request.auth, year=_year(year))]


@router.post("/budget/reallocations", response={201: OpsReallocationOut})
def budget_reallocate(request: ApiRequest, payload: OpsReallocationIn) -> Status:
    r = budget.reallocate(
        actor=request.auth, from_line_id=payload.from_line_id, to_line_id=payload.to_line_id, amount=payload.amount,
        reason=payload.reason,
    )  # fmt: skip
    return Status(201, realloc_out(r))


@router.post("/budget/projects", response={201: OpsProjectReturnOut})
def budget_project_create(request: ApiRequest, payload: OpsProjectIn) -> Status:
    p = budget.project_create(
        actor=request.auth, line_id=payload.budget_line_id, name=payload.name, team_id=payload.team_id,
        started_on=payload.started_on, ended_on=payload.ended_on, window_days=payload.window_days,
    )  # fmt: skip
    row = next(r for r in selectors.project_returns(viewer=request.auth, year=p.line.year) if r.project.pk == p.pk)
    return Status(201, return_out(row))


def return_out(r: selectors.ProjectReturn) -> OpsProjectReturnOut:
    per = r.cost_per_csat_point
    return OpsProjectReturnOut(
        project_id=r.project.pk, name=r.project.name, budget_line_id=r.project.line_id, team_id=r.project.team_id,
        cost=str(r.cost), before=list(r.before), after=list(r.after), csat_before=r.csat_before, csat_after=r.csat_after,
        csat_change=r.csat_change, complaint_rate_before=r.complaints_before, complaint_rate_after=r.complaints_after,
        complaint_rate_change=r.complaint_change, cost_per_csat_point=str(per) if per is not None else None, complete=r.complete,
    )  # fmt: skip


@router.get("/budget/returns", response=list[OpsProjectReturnOut])
def budget_returns(request: ApiRequest, year: int | None = None) -> list[OpsProjectReturnOut]:
    require_manager(request.auth)
    return [return_out(r) for r in selectors.project_returns(viewer=request.auth, year=_year(year))]
