"""Demo report packs: the Monday meeting's weekly pack (every Monday 08:00, last week) and the monthly
pack (the 1st at 08:00, last month), each with a schedule that mails the managers, and both built once
for the last whole period so the reports page has something to download."""

from __future__ import annotations

from datetime import time

from django.utils import timezone

from kefu.accounts.models import User
from kefu.performance.periods import Period
from kefu.reports.models import ReportPack
from kefu.reports.services import pack_create, run_build, schedule_create


def load_reports_demo(*, manager: User) -> int:
    """Returns the number of packs built."""
    built = 0
    now = timezone.now()
    for name, kind in (("每周例会报表", "week"), ("月度经营分析报表", "month")):
        pack = ReportPack.objects.filter(name=name).first()
        if pack is None:
            pack = pack_create(actor=manager, name=name, period_kind=kind)
            schedule_create(actor=manager, pack_id=pack.pk, weekday=0, day_of_month=1, at_time=time(8, 0),
                            emails=manager.email or "manager@example.cn")
        if not pack.runs.exists():
            run_build(actor=manager, pack_id=pack.pk, period=Period.containing(kind, now).shift(-1))
            built += 1
    return built
