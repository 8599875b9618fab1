"""周度质量报告: one ISO week (local time, Asia/Shanghai) of QA results against the week before.

Every figure is read through the results selectors (`selectors.results_page`, which counts through
`results.counted_inspections`: the inspection that counts per contact, by the contact's week), so the
page, the Excel file and the KPIs cannot drift apart. The viewer's scope is the results page's: QA
inspectors, QA leads and managers see every team, a team lead their team; agents have their own page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from kefu.accounts.models import User
from kefu.quality.access import may_inspect
from kefu.quality.choices import AppealState, CalibrationState
from kefu.quality.models import Appeal, Calibration
from kefu.quality.results import counted_inspections
from kefu.quality.selectors import (
    ItemStat,
    KappaRow,
    PassRate,
    ResultsPage,
    kappa_table,
    result_scope,
    results_page,
)


def may_see_weekly(user: User) -> bool:
    """QA inspectors, QA leads and managers (all teams) and team leads (their team)."""
    agent_ids, team_ids = result_scope(user)
    return user.is_authenticated and user.is_active and (may_inspect(user) or (agent_ids is None and bool(team_ids)))


def iso_week_bounds(year: int, week: int) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) local time of ISO week `year`-W`week`; ValueError if none."""
    monday = date.fromisocalendar(year, week, 1)
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(monday, time()), tz)
    return start, timezone.make_aware(datetime.combine(monday + timedelta(days=7), time()), tz)


def week_of(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso[0], iso[1]


def previous_week(year: int, week: int) -> tuple[int, int]:
    return week_of(date.fromisocalendar(year, week, 1) - timedelta(days=7))


@dataclass(frozen=True)
class Compared:
    """One row of the week against the week before (same key: agent or team id)."""

    key: int | None
    label: str
    now: PassRate | None
    before: PassRate | None

    @property
    def rate_change(self) -> float | None:
        if self.now is None or self.before is None or self.now.rate is None or self.before.rate is None:
            return None
        return round(self.now.rate - self.before.rate, 1)

    @property
    def average_change(self) -> float | None:
        if self.now is None or self.before is None or self.now.average is None or self.before.average is None:
            return None
        return round(self.now.average - self.before.average, 1)


@dataclass
class WeeklyReport:
    year: int
    week: int
    start: datetime
    end: datetime
    current: ResultsPage
    previous: ResultsPage
    total: Compared
    by_team: list[Compared]
    by_agent: list[Compared]
    worst: list[ItemStat]
    fatal: int
    fatal_before: int
    appeals_opened: int
    appeals_upheld: int
    appeals_rejected: int
    calibrations_opened: int
    calibrations_settled: int
    kappa: list[KappaRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def last_day(self) -> date:
        return timezone.localtime(self.end).date() - timedelta(days=1)

    @property
    def agreement(self) -> float | None:
        """Share of equal item scores over all double-blind pairs of the week (QA leads only)."""
        pairs = sum(k.pairs for k in self.kappa)
        if not pairs:
            return None
        same = sum((k.agreement or 0) * k.pairs / 100 for k in self.kappa)
        return round(same * 100 / pairs, 1)


def _compare(now: list[PassRate], before: list[PassRate]) -> list[Compared]:
    old = {p.key: p for p in before}
    rows = [Compared(key=p.key, label=p.label, now=p, before=old.get(p.key)) for p in now]
    seen = {p.key for p in now}
    rows += [Compared(key=p.key, label=p.label, now=None, before=p) for p in before if p.key not in seen]
    return rows


def _fatal(user: User, start: datetime, end: datetime) -> int:
    agent_ids, team_ids = result_scope(user)
    return counted_inspections(start=start, end=end, agent_ids=agent_ids, team_ids=team_ids).filter(
        fatal_failed=True
    ).count()


def weekly_report(*, user: User, year: int, week: int) -> WeeklyReport:
    """The week's report in the viewer's scope. ValueError for a week that does not exist."""
    start, end = iso_week_bounds(year, week)
    p_start, p_end = iso_week_bounds(*previous_week(year, week))
    current = results_page(user=user, start=start, end=end)
    previous = results_page(user=user, start=p_start, end=p_end)
    _agents, team_ids = result_scope(user)
    appeals = Appeal.objects.all()
    if team_ids is not None:
        appeals = appeals.filter(inspection__item__team_id__in=team_ids)
    cal = Calibration.objects.none()
    if may_inspect(user):
        cal = Calibration.objects.all() if team_ids is None else Calibration.objects.filter(item__team_id__in=team_ids)
    return WeeklyReport(
        year=year, week=week, start=start, end=end, current=current, previous=previous,
        total=Compared(key=None, label="", now=current.total, before=previous.total),
        by_team=_compare(current.by_team, previous.by_team), by_agent=_compare(current.by_agent, previous.by_agent),
        worst=current.worst, fatal=_fatal(user, start, end), fatal_before=_fatal(user, p_start, p_end),
        appeals_opened=appeals.filter(created_at__gte=start, created_at__lt=end).count(),
        appeals_upheld=appeals.filter(state=AppealState.UPHELD, qa_at__gte=start, qa_at__lt=end).count(),
        appeals_rejected=appeals.filter(state=AppealState.REJECTED).filter(
            Q(qa_at__gte=start, qa_at__lt=end) | Q(qa_at=None, lead_at__gte=start, lead_at__lt=end)
        ).count(),
        calibrations_opened=cal.filter(created_at__gte=start, created_at__lt=end).count(),
        calibrations_settled=cal.filter(state=CalibrationState.SETTLED, settled_at__gte=start, settled_at__lt=end).count(),
        kappa=kappa_table(user=user, start=start, end=end),
    )
