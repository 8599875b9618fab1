"""Reads of quality inspection, each through the viewer's visibility."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet

from kefu.accounts.models import User
from kefu.quality.access import may_inspect, visible_inspections_q
from kefu.quality.choices import InspectionState
from kefu.quality.models import Inspection, InspectionItem, ScorecardItem, ScorecardVersion


def queue(*, user: User, limit: int = 200) -> list[InspectionItem]:
    """Items nobody has submitted an inspection for (inspectors only; never the viewer's own contacts),
    the ones the pre-screen flagged first."""
    if not may_inspect(user):
        return []
    done = Inspection.objects.filter(item=OuterRef("pk"), state=InspectionState.SUBMITTED)
    rows = (
        InspectionItem.objects.annotate(done=Exists(done)).filter(done=False).exclude(agent_id=user.pk)
        .select_related("agent", "team").order_by("-sampled_at", "-id")[:limit]
    )
    items: list[InspectionItem] = list(rows)
    items.sort(key=lambda i: (not i.findings,))
    return items


def item_get(*, user: User, item_id: int) -> InspectionItem | None:
    if not may_inspect(user):
        return None
    return InspectionItem.objects.select_related("agent", "team").filter(pk=item_id).first()


def items_list(*, user: User, pending: bool | None = None, limit: int = 200) -> QuerySet[InspectionItem]:
    if not may_inspect(user):
        return InspectionItem.objects.none()
    qs = InspectionItem.objects.select_related("agent", "team")
    if pending is not None:
        done = Inspection.objects.filter(item=OuterRef("pk"), state=InspectionState.SUBMITTED)
        qs = qs.annotate(done=Exists(done)).filter(done=not pending)
    return qs.order_by("-sampled_at", "-id")[:limit]


def inspections_visible(*, user: User) -> QuerySet[Inspection]:
    return (
        Inspection.objects.filter(visible_inspections_q(user))
        .select_related("item__agent", "item__team", "inspector", "version__scorecard")
    )


def inspection_get(*, user: User, inspection_id: int) -> Inspection | None:
    return inspections_visible(user=user).filter(pk=inspection_id).first()


def results(
    *, user: User, agent_id: int | None = None, start: datetime | None = None, end: datetime | None = None,
) -> QuerySet[Inspection]:
    qs = inspections_visible(user=user).filter(state=InspectionState.SUBMITTED)
    if agent_id is not None:
        qs = qs.filter(item__agent_id=agent_id)
    if start is not None:
        qs = qs.filter(submitted_at__gte=start)
    if end is not None:
        qs = qs.filter(submitted_at__lt=end)
    return qs.order_by("-submitted_at", "-id")


@dataclass(frozen=True)
class PassRate:
    key: int | None
    label: str
    inspected: int
    passed: int
    average: float | None

    @property
    def rate(self) -> float | None:
        return round(self.passed * 100 / self.inspected, 1) if self.inspected else None


def pass_rate(*, user: User, agent_id: int | None = None) -> PassRate:
    """质检合格率 over what the viewer may see (an agent: their own)."""
    agg = results(user=user, agent_id=agent_id).aggregate(n=Count("id"), ok=Count("id", filter=Q(passed=True)), avg=Avg("total"))
    return PassRate(key=agent_id, label="", inspected=agg["n"], passed=agg["ok"], average=float(agg["avg"]) if agg["avg"] is not None else None)


def pass_rate_by_agent(*, user: User) -> list[PassRate]:
    rows = (
        results(user=user).order_by().values("item__agent_id", "item__agent__display_name", "item__agent__username")
        .annotate(n=Count("id"), ok=Count("id", filter=Q(passed=True)), avg=Avg("total"))
    )
    out = [
        PassRate(
            key=r["item__agent_id"], label=r["item__agent__display_name"] or r["item__agent__username"] or "—",
            inspected=r["n"], passed=r["ok"], average=float(r["avg"]) if r["avg"] is not None else None,
        )
        for r in rows
    ]
    return sorted(out, key=lambda p: (p.rate if p.rate is not None else 101, p.label))


def scorecard_items(version: ScorecardVersion) -> list[ScorecardItem]:
    return list(ScorecardItem.objects.filter(section__version=version).select_related("section"))
