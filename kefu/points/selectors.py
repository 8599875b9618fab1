"""Reads: balances, the ledger, what waits for a decision, the catalogue, redemptions, suggestions,
survey comments a lead may mark as praise, and the 服务之星 ranking (the dashboard reads
`star_of_month` and `star_ranking`). Visibility is built in (access.agents_visible_q)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import DomainError
from kefu.points.access import agents_visible_q, is_decider
from kefu.points.choices import EntryKind, RequestStatus
from kefu.points.config import points_settings
from kefu.points.errors import PointsErrorCode
from kefu.points.models import (
    AwardRequest,
    CatalogueItem,
    PointsEntry,
    PointsSettings,
    Redemption,
    ServiceStar,
    Suggestion,
)
from kefu.quality.results import qa_agent_results
from kefu.surveys.choices import SurveyStatus
from kefu.surveys.models import Survey
from kefu.surveys.selectors import survey_metrics


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def balance_of(agent_id: int) -> int:
    """Balance = the sum of the agent's ledger."""
    return int(PointsEntry.objects.filter(agent_id=agent_id).aggregate(s=Coalesce(Sum("points"), 0))["s"])


def reserved_of(agent_id: int) -> int:
    """What the agent's pending redemptions hold back."""
    return int(
        Redemption.objects.filter(agent_id=agent_id, status=RequestStatus.PENDING)
        .aggregate(s=Coalesce(Sum("cost"), 0))["s"]
    )


def available_of(agent_id: int) -> int:
    return balance_of(agent_id) - reserved_of(agent_id)


@dataclass(frozen=True)
class Balance:
    agent_id: int
    name: str
    balance: int
    reserved: int

    @property
    def available(self) -> int:
        return self.balance - self.reserved


def balances_visible_to(viewer: User) -> list[Balance]:
    """Every visible active agent's balance (two aggregate queries plus the users)."""
    users = list(User.objects.filter(agents_visible_q(viewer), is_active=True).order_by("team_id", "username"))
    ids = [u.pk for u in users]
    sums = dict(
        PointsEntry.objects.filter(agent_id__in=ids).values("agent_id").annotate(s=Sum("points")).order_by()
        .values_list("agent_id", "s")
    )
    held = dict(
        Redemption.objects.filter(agent_id__in=ids, status=RequestStatus.PENDING).values("agent_id")
        .annotate(s=Sum("cost")).order_by().values_list("agent_id", "s")
    )
    return [Balance(u.pk, u.name, int(sums.get(u.pk) or 0), int(held.get(u.pk) or 0)) for u in users]


def ledger_visible_to(viewer: User, *, agent_id: int | None = None) -> QuerySet[PointsEntry]:
    qs = PointsEntry.objects.filter(agents_visible_q(viewer, "agent"))
    if agent_id is not None:
        qs = qs.filter(agent_id=agent_id)
    return qs.select_related("agent", "ticket", "suggestion", "created_by", "approved_by").annotate(
        is_reversed=Exists(PointsEntry.objects.filter(reversal_of=OuterRef("pk")))
    ).order_by("-created_at", "-id")


def awards_pending_for(viewer: User) -> list[AwardRequest]:
    """Hand awards waiting for the viewer's decision (not their own requests)."""
    if not is_decider(viewer):
        return []
    return list(
        AwardRequest.objects.filter(agents_visible_q(viewer, "agent"), status=RequestStatus.PENDING)
        .exclude(agent=viewer).exclude(requested_by=viewer)
        .select_related("agent", "requested_by", "ticket").order_by("requested_at", "id")
    )


def redemptions_visible_to(viewer: User, *, agent_id: int | None = None, status: str | None = None) -> QuerySet[Redemption]:
    qs = Redemption.objects.filter(agents_visible_q(viewer, "agent"))
    if agent_id is not None:
        qs = qs.filter(agent_id=agent_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("agent", "item", "decided_by", "leave").order_by("-requested_at", "-id")


def redemptions_pending_for(viewer: User) -> list[Redemption]:
    if not is_decider(viewer):
        return []
    return list(redemptions_visible_to(viewer, status=RequestStatus.PENDING).exclude(agent=viewer).order_by("requested_at", "id"))


def catalogue(*, include_inactive: bool = False) -> list[CatalogueItem]:
    qs = CatalogueItem.objects.all()
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("cost", "name"))


def suggestions_visible_to(viewer: User, *, status: str | None = None) -> QuerySet[Suggestion]:
    qs = Suggestion.objects.filter(agents_visible_q(viewer, "author"))
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("author", "reviewer").order_by("-submitted_at", "-id")


def praise_candidates(viewer: User, *, days: int = 60, limit: int = 50) -> list[Survey]:
    """Answered surveys of the viewer's agents with a written comment, not yet marked as praise:
    what a lead reads to mark 表扬 (best scores first)."""
    if not is_decider(viewer):
        return []
    since = datetime.now(tz=_tz()) - timedelta(days=days)
    paid = PointsEntry.objects.filter(survey_id=OuterRef("pk"), kind=EntryKind.PRAISE)
    qs = (
        Survey.objects.filter(agents_visible_q(viewer, "agent"), status=SurveyStatus.ANSWERED, answered_at__gte=since)
        .exclude(comment="").exclude(agent=viewer).exclude(agent=None)
        .annotate(paid=Exists(paid)).filter(paid=False)
        .select_related("agent", "ticket").order_by("-csat", "-answered_at")
    )
    return list(qs[:limit])


# --- 服务之星 -------------------------------------------------------------------------------------------


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str | None) -> date:
    """`YYYY-MM` (default: this month, local time); anything else is a 422."""
    if not text:
        return timezone.localdate().replace(day=1)
    m = _MONTH.match(text.strip())
    if m and 1900 <= int(m.group(1)) <= 2999 and 1 <= int(m.group(2)) <= 12:
        return date(int(m.group(1)), int(m.group(2)), 1)
    raise DomainError(
        code=PointsErrorCode.INVALID_INPUT, message=_("Give the month as YYYY-MM."),
        fields={"month": [_("Give the month as YYYY-MM.")]}, status=422,
    )


def month_bounds(month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    tz = _tz()
    return datetime(first.year, first.month, 1, tzinfo=tz), datetime(nxt.year, nxt.month, 1, tzinfo=tz)


@dataclass(frozen=True)
class StarRow:
    agent_id: int
    name: str
    team: str
    points: int
    csat: float | None
    qa_pass_rate: float | None
    score: Decimal
    rank: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "agent_id": self.agent_id, "name": self.name, "team": self.team, "points": self.points,
            "csat": self.csat, "qa_pass_rate": self.qa_pass_rate, "score": str(self.score),
        }


def star_score(*, points: int, top_points: int, csat: float | None, qa: float | None, weights: PointsSettings) -> Decimal:
    """The 服务之星 formula, 0–100: a weighted mean of the month's earned points (as a share of the
    best agent's), CSAT (% of 4–5 answers) and QA pass rate (%). A missing number counts 0."""
    total = weights.star_weight_points + weights.star_weight_csat + weights.star_weight_qa
    if total == 0:
        return Decimal(0)
    p = (max(points, 0) * 100.0 / top_points) if top_points > 0 else 0.0
    value = (weights.star_weight_points * p + weights.star_weight_csat * (csat or 0.0) + weights.star_weight_qa * (qa or 0.0)) / total
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def earned_in(*, start: datetime, end: datetime, agent_ids: list[int]) -> dict[int, int]:
    """Points earned in [start, end): awards minus their reversals; redemptions do not count."""
    rows = (
        PointsEntry.objects.filter(agent_id__in=agent_ids, created_at__gte=start, created_at__lt=end)
        .exclude(kind=EntryKind.REDEMPTION)
        .values("agent_id").annotate(s=Sum("points")).order_by()
    )
    return {r["agent_id"]: int(r["s"] or 0) for r in rows}


def star_ranking(*, viewer: User, month: date) -> list[StarRow]:
    """The month's agents ranked by the configurable formula (weights in PointsSettings), best first;
    ties by points, then name. Only the agents the viewer may see."""
    cfg = points_settings()
    start, end = month_bounds(month)
    agents = list(
        User.objects.filter(agents_visible_q(viewer), is_active=True, role=Role.AGENT).select_related("team")
    )
    if not agents:
        return []
    ids = [a.pk for a in agents]
    earned = earned_in(start=start, end=end, agent_ids=ids)
    csat = {r.key: r.csat for r in survey_metrics(user=viewer, group="agent", start=start, end=end)}
    qa = {k: v.pass_rate for k, v in qa_agent_results(start=start, end=end, agent_ids=ids).items()}
    top = max([earned.get(i, 0) for i in ids] + [0])
    rows = [
        StarRow(
            agent_id=a.pk, name=a.name, team=a.team.name if a.team else "", points=earned.get(a.pk, 0),
            csat=csat.get(a.pk), qa_pass_rate=qa.get(a.pk),
            score=star_score(points=earned.get(a.pk, 0), top_points=top, csat=csat.get(a.pk), qa=qa.get(a.pk), weights=cfg),
        )
        for a in agents
    ]
    rows.sort(key=lambda r: (-r.score, -r.points, r.name))
    return [dataclasses.replace(r, rank=i + 1) for i, r in enumerate(rows)]


def star_of_month(month: date) -> ServiceStar | None:
    """The announced 服务之星 of a month (public to all staff: it is an announcement)."""
    return ServiceStar.objects.select_related("agent", "agent__team").filter(month=month.replace(day=1)).first()


def stars_recent(limit: int = 12) -> list[ServiceStar]:
    return list(ServiceStar.objects.select_related("agent", "agent__team").order_by("-month")[:limit])

