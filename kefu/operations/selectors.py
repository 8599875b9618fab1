"""Reads for center operations (plans, incidents, materials, equipment, budget); visibility comes from
the access module. Budget reads are for managers and admins only; the training return view reads
CSAT and the complaint rate through kefu/performance's selector (its KPI definitions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from kefu.accounts.models import User
from kefu.operations import availability as A
from kefu.operations.access import (
    incidents_visible_to,
    is_staff_member,
    may_lead,
    may_manage,
    plans_visible_to,
)
from kefu.operations.choices import BudgetEntryKind, DeviceKind
from kefu.operations.models import (
    AvailabilityTarget,
    BudgetEntry,
    BudgetLine,
    BudgetProject,
    BudgetReallocation,
    Device,
    DeviceFault,
    EmergencyPlan,
    Incident,
    IncidentNotice,
    MaintenancePlan,
    OpsAlert,
    PlanLevel,
    PlanRole,
    Requisition,
    ServiceRecord,
    Stock,
)
from kefu.performance.periods import Period
from kefu.performance.selectors import metric_table


def plan_list(*, viewer: User) -> QuerySet[EmergencyPlan]:
    return plans_visible_to(viewer).annotate(n_incidents=Count("incidents")).order_by("kind", "name")


def plan_detail(*, viewer: User, plan_id: int) -> EmergencyPlan | None:
    roles = Prefetch("roles", queryset=PlanRole.objects.select_related("user").order_by("position", "id"))
    levels = Prefetch("levels", queryset=PlanLevel.objects.prefetch_related(roles).order_by("level"))
    return plans_visible_to(viewer).prefetch_related(levels).filter(pk=plan_id).first()


def incident_list(*, viewer: User, drills: bool | None = None, limit: int = 100) -> list[Incident]:
    qs = incidents_visible_to(viewer).select_related("plan", "activated_by").annotate(
        n_notices=Count("notices", distinct=True),
        n_acked=Count("notices", filter=Q(notices__acknowledged_at__isnull=False), distinct=True),
    )
    if drills is not None:
        qs = qs.filter(is_drill=drills)
    return list(qs.order_by("-activated_at", "-id")[:limit])


def incident_detail(*, viewer: User, incident_id: int) -> Incident | None:
    return (
        incidents_visible_to(viewer)
        .select_related("plan", "activated_by", "review__written_by")
        .prefetch_related(
            Prefetch("notices", queryset=IncidentNotice.objects.select_related("user").order_by("sent_at", "id")),
            "steps__done_by",
            "events__actor",
            "review__actions__owner",
        )
        .filter(pk=incident_id)
        .first()
    )


def my_open_notices(*, viewer: User) -> list[IncidentNotice]:
    """The in-app alert: incidents that wait for this person's acknowledgement."""
    if not is_staff_member(viewer):
        return []
    return list(
        IncidentNotice.objects.filter(user=viewer, acknowledged_at__isnull=True, incident__status="active")
        .select_related("incident__plan")
        .order_by("-sent_at")
    )


@dataclass(frozen=True)
class MonthRow:
    plan: str
    real: int
    drills: int
    median_ack_seconds: float | None
    reviewed: int


def monthly_summary(*, viewer: User, month: date) -> list[MonthRow]:
    """Incidents of the month per plan: real ones and drills, the median time from a notice to its
    acknowledgement, how many were reviewed."""
    zone = timezone.get_current_timezone()
    first = datetime(month.year, month.month, 1, tzinfo=zone)
    nxt = (first + timedelta(days=32)).replace(day=1)
    incidents = list(
        incidents_visible_to(viewer)
        .filter(activated_at__gte=first, activated_at__lt=nxt)
        .select_related("plan")
        .annotate(has_review=Count("review"))
    )
    acks: dict[int, list[float]] = {}
    for plan_id, sent, acked in IncidentNotice.objects.filter(
        incident__in=incidents, acknowledged_at__isnull=False
    ).values_list("incident__plan_id", "sent_at", "acknowledged_at"):
        if acked is not None:
            acks.setdefault(plan_id, []).append((acked - sent).total_seconds())
    rows: dict[int, dict] = {}
    for i in incidents:
        row = rows.setdefault(i.plan_id, {"plan": i.plan.name, "real": 0, "drills": 0, "reviewed": 0})
        row["drills" if i.is_drill else "real"] += 1
        row["reviewed"] += 1 if i.has_review else 0  # type: ignore[attr-defined]
    out = []
    for plan_id, row in rows.items():
        times = sorted(acks.get(plan_id, []))
        median = times[len(times) // 2] if times else None
        out.append(MonthRow(median_ack_seconds=median, **row))
    return sorted(out, key=lambda r: r.plan)


# --- materials -----------------------------------------------------------------------------------------


def stock_list(*, viewer: User) -> list[Stock]:
    if not is_staff_member(viewer):
        return []
    return list(Stock.objects.select_related("store", "material").order_by("material__is_emergency", "material__name", "store__name"))


def requisition_list(*, viewer: User, limit: int = 100) -> list[Requisition]:
    """Leads and managers see every requisition; others their own."""
    if not is_staff_member(viewer):
        return []
    qs = Requisition.objects.select_related("store", "material", "requested_by", "approved_by", "issued_by")
    if not may_lead(viewer):
        qs = qs.filter(requested_by=viewer)
    return list(qs.order_by("-created_at", "-id")[:limit])


def requisition_get(*, viewer: User, requisition_id: int) -> Requisition | None:
    if not is_staff_member(viewer):
        return None
    qs = Requisition.objects.select_related("store", "material", "requested_by")
    if not may_lead(viewer):
        qs = qs.filter(requested_by=viewer)
    return qs.filter(pk=requisition_id).first()


# --- equipment -----------------------------------------------------------------------------------------


def target_for(kind: str) -> Decimal:
    """The kind's monthly availability target in percent (99.00 unless configured)."""
    row = AvailabilityTarget.objects.filter(kind=kind).values_list("target", flat=True).first()
    return row if row is not None else A.DEFAULT_TARGET


def targets() -> dict[str, Decimal]:
    found = dict(AvailabilityTarget.objects.values_list("kind", "target"))
    return {k: found.get(k, A.DEFAULT_TARGET) for k in DeviceKind.values}


def _intervals(device_ids: list[int] | None, start: datetime, end: datetime, *, kind: str | None = None) -> dict[int, list[A.Interval]]:
    """Fault intervals of the devices that overlap [start, end): one query."""
    qs = DeviceFault.objects.filter(reported_at__lt=end).filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=start))
    if device_ids is not None:
        qs = qs.filter(device_id__in=device_ids)
    if kind is not None:
        qs = qs.filter(device__kind=kind)
    out: dict[int, list[A.Interval]] = {}
    for device_id, reported, resolved in qs.values_list("device_id", "reported_at", "resolved_at"):
        out.setdefault(device_id, []).append((reported, resolved))
    return out


def _in_service(d: date | None) -> datetime | None:
    return datetime.combine(d, time(0), timezone.get_current_timezone()) if d else None


def _availabilities(devices: list[tuple[int, date | None]], month: date, now: datetime, kind: str | None = None) -> dict[int, A.Availability]:
    start, end = A.month_bounds(month, timezone.get_current_timezone())
    found = _intervals(None if kind else [pk for pk, _s in devices], start, end, kind=kind)
    return {
        pk: A.device_availability(found.get(pk, []), start, end, now, in_service_from=_in_service(since))
        for pk, since in devices
    }


def device_month_availability(*, device_ids: list[int], month: date, now: datetime | None = None) -> dict[int, A.Availability]:
    devices = list(Device.objects.filter(pk__in=device_ids).values_list("pk", "in_service_since"))
    return _availabilities(devices, month, now or timezone.now())


def kind_month_availability(*, kind: str, month: date, now: datetime | None = None) -> A.Availability:
    """All devices in use of the kind together."""
    devices = list(Device.objects.filter(kind=kind, is_active=True).values_list("pk", "in_service_since"))
    return A.combined(_availabilities(devices, month, now or timezone.now(), kind=kind).values())


@dataclass(frozen=True)
class DeviceRow:
    device: Device
    availability: A.Availability
    target: Decimal
    open_faults: int

    @property
    def under(self) -> bool:
        return self.availability.under(self.target)


@dataclass(frozen=True)
class KindRow:
    kind: str
    label: str
    devices: int
    availability: A.Availability
    target: Decimal

    @property
    def under(self) -> bool:
        return self.availability.under(self.target)


def _staff_or_none(viewer: User) -> bool:
    return is_staff_member(viewer)


def device_rows(*, viewer: User, month: date, now: datetime | None = None, kind: str | None = None) -> list[DeviceRow]:
    """Every device (in use or not) with its availability in the month: 3 queries."""
    if not _staff_or_none(viewer):
        return []
    now = now or timezone.now()
    qs = Device.objects.annotate(n_open=Count("faults", filter=Q(faults__resolved_at__isnull=True)))
    if kind:
        qs = qs.filter(kind=kind)
    devices = list(qs.order_by("kind", "asset_no"))
    avail = _availabilities([(d.pk, d.in_service_since) for d in devices], month, now)
    goals = targets()
    return [DeviceRow(d, avail[d.pk], goals[d.kind], d.n_open) for d in devices]  # type: ignore[attr-defined]


def kind_rows(rows: list[DeviceRow]) -> list[KindRow]:
    """Per kind, from the device rows (devices in use only)."""
    out = []
    goals = targets()
    for kind in DeviceKind:
        mine = [r.availability for r in rows if r.device.kind == kind and r.device.is_active]
        if mine:
            out.append(KindRow(kind.value, str(kind.label), len(mine), A.combined(mine), goals[kind.value]))
    return out


def device_detail(*, viewer: User, device_id: int) -> Device | None:
    if not _staff_or_none(viewer):
        return None
    return (
        Device.objects.prefetch_related(
            Prefetch("faults", queryset=DeviceFault.objects.select_related("ticket", "reported_by").order_by("-reported_at")),
            Prefetch("plans", queryset=MaintenancePlan.objects.order_by("next_due_on", "id")),
            Prefetch("records", queryset=ServiceRecord.objects.select_related("actor").order_by("-at", "-id")),
        )
        .filter(pk=device_id)
        .first()
    )


def device_history(*, device: Device, months: int = 6, now: datetime | None = None) -> list[tuple[date, A.Availability]]:
    """The device's availability in each of the last `months` months, newest first."""
    now = now or timezone.now()
    month = timezone.localdate(now).replace(day=1)
    out = []
    for _i in range(months):
        out.append((month, _availabilities([(device.pk, device.in_service_since)], month, now)[device.pk]))
        month = (month - timedelta(days=1)).replace(day=1)
    return out


def maintenance_due(*, viewer: User, today: date | None = None, ahead_days: int = 3) -> list[MaintenancePlan]:
    """Plans due within `ahead_days` (or overdue) of devices in use."""
    if not _staff_or_none(viewer):
        return []
    today = today or timezone.localdate()
    return list(
        MaintenancePlan.objects.filter(next_due_on__lte=today + timedelta(days=ahead_days), device__is_active=True)
        .select_related("device")
        .order_by("next_due_on", "id")
    )


def alerts_for(*, viewer: User, kinds: tuple[str, ...] | None = None, unseen: bool = False, limit: int = 50) -> list[OpsAlert]:
    """Managers' and admins' alerts, newest first."""
    if not may_manage(viewer):
        return []
    qs = OpsAlert.objects.all()
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if unseen:
        qs = qs.filter(seen_at__isnull=True)
    return list(qs.order_by("-created_at", "-id")[:limit])


# --- budget ---------------------------------------------------------------------------------------------


def budget_years(*, viewer: User) -> list[int]:
    if not may_manage(viewer):
        return []
    return sorted(set(BudgetLine.objects.values_list("year", flat=True)))


def budget_lines(*, viewer: User, year: int) -> list[BudgetLine]:
    """Managers and admins: the year's lines."""
    if not may_manage(viewer):
        return []
    return list(BudgetLine.objects.filter(year=year).order_by("cost_kind", "name", "id"))


def budget_line_detail(*, viewer: User, line_id: int) -> BudgetLine | None:
    if not may_manage(viewer):
        return None
    return (
        BudgetLine.objects.prefetch_related(
            Prefetch("entries", queryset=BudgetEntry.objects.select_related("actor", "requisition__material", "project").order_by("-at", "-id")),
            "projects",
        )
        .filter(pk=line_id)
        .first()
    )


def reallocations(*, viewer: User, year: int) -> list[BudgetReallocation]:
    if not may_manage(viewer):
        return []
    return list(BudgetReallocation.objects.filter(year=year).select_related("from_line", "to_line", "actor").order_by("-at", "-id"))


@dataclass(frozen=True)
class ProjectReturn:
    """A training or project: its cost against CSAT and the complaint rate before and after."""

    project: BudgetProject
    cost: Decimal
    before: tuple[date, date]
    after: tuple[date, date]
    csat_before: float | None
    csat_after: float | None
    complaints_before: float | None  # complaints per 1,000 contacts
    complaints_after: float | None
    complete: bool  # the after-window is over

    @property
    def csat_change(self) -> float | None:
        if self.csat_before is None or self.csat_after is None:
            return None
        return round(self.csat_after - self.csat_before, 1)

    @property
    def complaint_change(self) -> float | None:
        if self.complaints_before is None or self.complaints_after is None:
            return None
        return round(self.complaints_after - self.complaints_before, 1)

    @property
    def cost_per_csat_point(self) -> Decimal | None:
        change = self.csat_change
        if change is None or change <= 0:
            return None
        return (self.cost / Decimal(repr(change))).quantize(Decimal("0.01"))


def _kpis(viewer: User, first: date, last: date, team_id: int | None) -> tuple[float | None, float | None]:
    """CSAT (%) and complaints per 1,000 contacts over local days first..last, for the team or the
    whole center — the KPI definitions of kefu/performance/metrics.py, read through its selector."""
    if last < first:
        return None, None
    period = Period.range(first, last)
    table = metric_table(user=viewer, metrics=["csat", "complaint_rate"], period=period, group="team" if team_id else "all")
    row = next((r for r in table.rows if r.key == str(team_id)), None) if team_id else table.total
    if row is None:
        return None, None
    return row.values.get("csat"), row.values.get("complaint_rate")


def project_returns(*, viewer: User, year: int, today: date | None = None) -> list[ProjectReturn]:
    """The return view (培训/项目回报): each project of the year's lines with its cost (actuals posted
    to it) and CSAT and complaint rate in the `window_days` before its start and after its end (up
    to today while the after-window runs)."""
    if not may_manage(viewer):
        return []
    today = today or timezone.localdate()
    projects = list(BudgetProject.objects.filter(line__year=year).select_related("line", "team").order_by("-started_on", "id"))
    costs = dict(
        BudgetEntry.objects.filter(project__in=projects, kind=BudgetEntryKind.ACTUAL)
        .values_list("project_id")
        .annotate(s=Sum("amount"))
        .order_by()
    )
    out = []
    for p in projects:
        window = timedelta(days=p.window_days)
        before = (p.started_on - window, p.started_on - timedelta(days=1))
        after = (p.ended_on + timedelta(days=1), p.ended_on + window)
        seen_after = (after[0], min(after[1], today - timedelta(days=1)))
        csat_b, comp_b = _kpis(viewer, *before, p.team_id)
        csat_a, comp_a = _kpis(viewer, *seen_after, p.team_id)
        out.append(ProjectReturn(
            project=p, cost=Decimal(costs.get(p.pk) or 0).quantize(Decimal("0.01")), before=before, after=after, csat_before=csat_b, csat_after=csat_a,
            complaints_before=comp_b, complaints_after=comp_a, complete=after[1] < today,
        ))  # fmt: skip
    return out
