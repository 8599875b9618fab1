"""Reads for emergency plans and incidents; visibility comes from the access module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from kefu.accounts.models import User
from kefu.operations.access import incidents_visible_to, is_staff_member, may_lead, plans_visible_to
from kefu.operations.models import (
    EmergencyPlan,
    Incident,
    IncidentNotice,
    PlanLevel,
    PlanRole,
    Requisition,
    Stock,
)


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
