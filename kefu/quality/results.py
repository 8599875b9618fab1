"""QA results as other apps read them (KPIs, points, 服务之星, report packs): the one stable interface.

One result per inspected contact: the latest submitted inspection of an item counts (a calibration or
an upheld appeal settles an item by writing that inspection's total/passed or a newer submitted
inspection, so this stays right). A contact belongs to the period of its `contact_at` (the time the
contact was closed), falling back to when it was sampled. Callers apply their own visibility by
passing the agents the viewer may see; this module never widens it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from kefu.quality.choices import InspectionState
from kefu.quality.models import Inspection


@dataclass(frozen=True)
class QaResult:
    inspected: int
    passed: int
    score_sum: Decimal

    @property
    def pass_rate(self) -> float | None:
        """质检合格率 in percent, None when nothing was inspected."""
        return round(self.passed * 100 / self.inspected, 1) if self.inspected else None

    @property
    def average(self) -> float | None:
        return round(float(self.score_sum) / self.inspected, 1) if self.inspected else None


def counted_inspections(
    *, start: datetime, end: datetime, agent_ids: Iterable[int] | None = None, team_ids: Iterable[int] | None = None,
) -> QuerySet[Inspection]:
    """The inspection that counts for each contact closed in [start, end)."""
    latest = (
        Inspection.objects.filter(item=OuterRef("item"), state=InspectionState.SUBMITTED)
        .order_by("-submitted_at", "-id").values("id")[:1]
    )
    qs = (
        Inspection.objects.filter(state=InspectionState.SUBMITTED, id=Subquery(latest))
        .annotate(at=Coalesce("item__contact_at", "item__sampled_at"))
        .filter(at__gte=start, at__lt=end)
    )
    if agent_ids is not None:
        qs = qs.filter(item__agent_id__in=list(agent_ids))
    if team_ids is not None:
        qs = qs.filter(item__team_id__in=list(team_ids))
    return qs


def qa_agent_results(
    *, start: datetime, end: datetime, agent_ids: Iterable[int] | None = None, team_ids: Iterable[int] | None = None,
) -> dict[int, QaResult]:
    """{agent id: QaResult} for contacts closed in [start, end); agents with nothing inspected are absent."""
    rows = (
        counted_inspections(start=start, end=end, agent_ids=agent_ids, team_ids=team_ids)
        .exclude(item__agent_id=None).order_by().values("item__agent_id")
        .annotate(n=Count("id"), ok=Count("id", filter=Q(passed=True)), s=Sum("total"))
    )
    return {
        r["item__agent_id"]: QaResult(inspected=r["n"], passed=r["ok"], score_sum=r["s"] or Decimal(0)) for r in rows
    }


def qa_total(
    *, start: datetime, end: datetime, agent_ids: Iterable[int] | None = None, team_ids: Iterable[int] | None = None,
) -> QaResult:
    agg = counted_inspections(start=start, end=end, agent_ids=agent_ids, team_ids=team_ids).aggregate(
        n=Count("id"), ok=Count("id", filter=Q(passed=True)), s=Sum("total")
    )
    return QaResult(inspected=agg["n"], passed=agg["ok"], score_sum=agg["s"] or Decimal(0))
