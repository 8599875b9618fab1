"""A month report pack over the tickets in a database: build (figures) and render (Excel, PDF), with
the month's KPI rollups stored (what the clock leaves behind) and without them (live definitions).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench \\
        .venv/bin/python bench/performance/pack_bench.py [2026-11] [--live]

Uses (or makes) a bench pack of all sections owned by the first manager. Prints ticket count, the
rollup refresh time of the month and the previous one, and build / xlsx / pdf times (best of 2)."""

from __future__ import annotations

import os
import sys
import time

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
django.setup()

from django.utils import timezone  # noqa: E402

from kefu.accounts.choices import Role  # noqa: E402
from kefu.accounts.models import User  # noqa: E402
from kefu.performance.models import MetricRollup  # noqa: E402
from kefu.performance.periods import Period  # noqa: E402
from kefu.performance.services import rollup_refresh  # noqa: E402
from kefu.reports.build import build  # noqa: E402
from kefu.reports.excel import render_xlsx  # noqa: E402
from kefu.reports.models import ReportPack  # noqa: E402
from kefu.reports.pdf import render_pdf  # noqa: E402
from kefu.reports.services import pack_create  # noqa: E402
from kefu.tickets.models import Ticket  # noqa: E402


def timed(fn):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(2):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    month = Period.parse(args[0]) if args else Period.containing("month", timezone.now()).shift(-1)
    manager = User.objects.filter(role__in=[Role.MANAGER, Role.ADMIN]).order_by("id").first() or User.objects.filter(is_superuser=True).first()
    if manager is None:
        manager = User.objects.create(username="bench_manager", display_name="基准经理", role=Role.MANAGER)
    pack = ReportPack.objects.filter(name="bench 月度报表").first() or pack_create(actor=manager, name="bench 月度报表", period_kind="month")
    start, end = month.bounds()
    in_month = Ticket.objects.filter(created_at__gte=start, created_at__lt=end).count()
    print(f"{Ticket.objects.count()} tickets, {in_month} created in {month.key}")
    keys = [month.key, month.shift(-1).key]
    if "--live" in sys.argv:
        MetricRollup.objects.filter(period_kind="month", period_key__in=keys).delete()
        mode = "live (no rollups stored)"
    else:
        t0 = time.perf_counter()
        for p in (month, month.shift(-1)):
            rollup_refresh(p)
        print(f"rollup refresh of {keys}: {time.perf_counter() - t0:.1f} s (the clock's work, not the pack's)")
        mode = "with rollups"
    t_build, data = timed(lambda: build(pack=pack, period=month).as_dict())
    t_xlsx, xlsx = timed(lambda: render_xlsx(data))
    t_pdf, pdf = timed(lambda: render_pdf(data))
    print(f"{mode}: build {t_build:.2f} s, xlsx {t_xlsx:.2f} s ({len(xlsx) // 1024} KiB), "
          f"pdf {t_pdf:.2f} s ({len(pdf) // 1024} KiB), total {t_build + t_xlsx + t_pdf:.2f} s")


if __name__ == "__main__":
    main()
