"""Writes: scorecard plans (the default 12-indicator plan), locking a month (定稿), and the rollup
tables the clock refreshes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.errors import DomainError
from kefu.performance import metrics as M
from kefu.performance import scorecard as S
from kefu.performance.access import require_manage
from kefu.performance.errors import PerformanceErrorCode as E
from kefu.performance.models import (
    MetricRollup,
    RollupClock,
    ScorecardIndicator,
    ScorecardMonth,
    ScorecardPlan,
)
from kefu.performance.periods import TZ, Period
from kefu.performance.selectors import ROLLUP_GROUPS, plan_results_live

ROLLUP_EVERY = timedelta(minutes=10)
CLOCK_NAME = "rollup"


def scorecard_plan_install_default() -> ScorecardPlan:
    """The default plan (所有坐席) with the 12 indicators of scorecard.DEFAULT_INDICATORS; idempotent."""
    with transaction.atomic():
        plan, created = ScorecardPlan.objects.get_or_create(name="坐席月度绩效", defaults={"top_share": 20})
        if created:
            ScorecardIndicator.objects.bulk_create(
                ScorecardIndicator(plan=plan, metric=m, weight=w, target=t, higher_is_better=h, position=i)
                for i, (m, w, t, h) in enumerate(S.DEFAULT_INDICATORS)
            )
    return plan


def scorecard_indicator_set(
    *, actor: User, plan_id: int, metric: str, weight: float, target: float, higher_is_better: bool
) -> ScorecardIndicator:
    """Add or change one indicator of a plan (managers)."""
    require_manage(actor)
    if metric not in M.METRICS:
        raise DomainError(code=E.UNKNOWN_METRIC, message=_("Unknown metric: %(m)s.") % {"m": metric})
    if weight < 0 or weight > 100:
        raise DomainError(code=E.BAD_WEIGHTS, message=_("A weight is between 0 and 100."))
    with transaction.atomic():
        plan = ScorecardPlan.objects.select_for_update().get(pk=plan_id)
        ind, _created = ScorecardIndicator.objects.update_or_create(
            plan=plan, metric=metric,
            defaults={"weight": weight, "target": target, "higher_is_better": higher_is_better},
        )
    return ind


def scorecard_month_lock(*, actor: User, plan_id: int, month: Period) -> ScorecardMonth:
    """Lock (定稿) a plan's month: the current results are stored and shown from then on; later data
    changes appear only as "changed since". A month locks once; a month not yet over refuses."""
    require_manage(actor)
    if month.kind != "month":
        raise DomainError(code=E.BAD_PERIOD, message=_("Only a month can be locked."))
    if month.end > timezone.now().astimezone(TZ).date():
        raise DomainError(code=E.BAD_PERIOD, message=_("A month can be locked once it is over."))
    with transaction.atomic():
        plan = ScorecardPlan.objects.select_for_update().get(pk=plan_id)
        if ScorecardMonth.objects.filter(plan=plan, month=month.key).exists():
            raise DomainError(code=E.MONTH_LOCKED, message=_("This month is already locked."), status=409)
        results = plan_results_live(plan, month)
        return ScorecardMonth.objects.create(
            plan=plan, month=month.key, locked_at=timezone.now(), locked_by=actor,
            frozen={"results": [r.as_dict() for r in results]},
        )


# --- rollups ------------------------------------------------------------------------------------------


def rollup_refresh(period: Period, *, groups: tuple[str, ...] = ROLLUP_GROUPS, now: datetime | None = None) -> int:
    """Recompute every metric of `period` for each group and store it: one row per key (and the total),
    rows of keys that no longer have data deleted. Idempotent (the same data gives the same rows);
    safe with several clocks (the unique key and update_or_create; the last writer wins with the same
    numbers). Returns the number of rows written."""
    now = now or timezone.now()
    written = 0
    for group in groups:
        table = M.compute(metrics=list(M.METRICS), period=period, group=group)
        rows = [*table.rows, table.total]
        with transaction.atomic():
            for row in rows:
                MetricRollup.objects.update_or_create(
                    period_kind=period.kind, period_key=period.key, group=group, key=row.key,
                    defaults={"values": row.values, "counts": row.counts, "computed_at": now},
                )
                written += 1
            MetricRollup.objects.filter(period_kind=period.kind, period_key=period.key, group=group).exclude(
                key__in=[r.key for r in rows]
            ).delete()
    return written


def periods_to_refresh(now: datetime, *, fcr_days: int = M.FCR_DAYS) -> list[Period]:
    """The periods whose numbers can still move: today and yesterday, this week and last, this month,
    quarter and year, and last month while its FCR window (N days after the month) is open. Older
    periods are left as stored (incremental); `rollup_backfill` rebuilds them."""
    out = []
    for kind in ("day", "week", "month", "quarter", "year"):
        current = Period.containing(kind, now)
        out.append(current)
        if kind in ("day", "week"):
            out.append(current.shift(-1))
        if kind == "month" and (now.astimezone(TZ).date() - current.start).days <= fcr_days + 1:
            out.append(current.shift(-1))
    return out


def rollup_backfill(*, weeks: int = 13, months: int = 13, now: datetime | None = None) -> int:
    """Store the last `weeks` weeks and `months` months (the dashboards' trends), e.g. after a deploy."""
    now = now or timezone.now()
    written = 0
    for p in Period.containing("week", now).last(weeks) + Period.containing("month", now).last(months):
        written += rollup_refresh(p, now=now)
    return written


def rollup_clock_install(*, due_at: datetime | None = None) -> RollupClock:
    clock, _created = RollupClock.objects.get_or_create(name=CLOCK_NAME, defaults={"due_at": due_at or timezone.now()})
    return clock


def rollup_tick(*, clock_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock's job: claim the due row (conditional update, so of several clocks one runs it), then
    refresh the periods that can still move."""
    now = now or timezone.now()
    claimed = RollupClock.objects.filter(pk=clock_id, due_at=due_at).update(due_at=now + ROLLUP_EVERY, last_run_at=now)
    if not claimed:
        return False
    for period in periods_to_refresh(now):
        rollup_refresh(period, now=now)
    return True
