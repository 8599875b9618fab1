"""Demo numbers for the dashboards: store the rollups of the last 13 weeks and 13 months (the demo's
three months of history fill the recent ones) and lock the month before last (定稿)."""

from __future__ import annotations

from django.utils import timezone

from kefu.accounts.models import User
from kefu.performance.models import ScorecardMonth, ScorecardPlan
from kefu.performance.periods import Period
from kefu.performance.services import (
    rollup_backfill,
    rollup_clock_install,
    scorecard_month_lock,
    scorecard_plan_install_default,
)


def load_performance_demo(*, manager: User) -> int:
    """Returns the number of rollup rows written."""
    plan = ScorecardPlan.objects.filter(is_active=True).first() or scorecard_plan_install_default()
    rollup_clock_install()
    written = rollup_backfill(weeks=13, months=4)
    month = Period.containing("month", timezone.now()).shift(-2)
    if not ScorecardMonth.objects.filter(plan=plan, month=month.key).exists():
        scorecard_month_lock(actor=manager, plan_id=plan.pk, month=month)
    return written
