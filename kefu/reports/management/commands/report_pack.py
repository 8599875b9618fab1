"""kefu report_pack: list packs, or build one for a period, write its Excel/PDF, and send it.

  kefu report_pack                              # the packs and their schedules
  kefu report_pack 2 --period 2026-W45 -o /tmp  # build (stored), write both files to /tmp
  kefu report_pack 2 --send                     # build the last whole period and send it now
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.core.errors import DomainError
from kefu.reports import selectors, services
from kefu.reports.models import ReportPack


class Command(BaseCommand):
    help = "List report packs, or build one for a period (stored), write its files and send it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pack", nargs="?", type=int, help="pack id")
        parser.add_argument("--period", default="", help="2026-W45, 2026-11, … (default: the last whole period)")
        parser.add_argument("-o", "--out", default="", help="a folder to write the .xlsx and .pdf to")
        parser.add_argument("--send", action="store_true", help="send to the pack's schedules' recipients")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["pack"] is None:
            for p in ReportPack.objects.select_related("team").prefetch_related("schedules").order_by("id"):
                self.stdout.write(f"{p.pk}\t{p.name}\t{p.period_kind}\t{p.team.name if p.team else '-'}\t"
                                  f"{len(p.schedules.all())} schedule(s)")
            return
        pack = ReportPack.objects.select_related("owner").filter(pk=opts["pack"]).first()
        if pack is None:
            raise CommandError(f"no pack {opts['pack']}")
        try:
            period = selectors.pack_period(pack, opts["period"] or None)
            run = services.run_build(actor=pack.owner, pack_id=pack.pk, period=period)
            if opts["send"]:
                run = services.run_send(actor=pack.owner, run_id=run.pk)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"built {pack.name} {run.period_key} in {run.build_seconds:.2f} s (run {run.pk})")
        if opts["out"]:
            folder = Path(opts["out"])
            folder.mkdir(parents=True, exist_ok=True)
            for fmt, content in (("xlsx", run.xlsx), ("pdf", run.pdf)):
                path = folder / services.file_name(run, fmt)
                path.write_bytes(bytes(content))
                self.stdout.write(str(path))
        if opts["send"]:
            self.stdout.write(" ".join(f"{k}={v}" for k, v in run.delivery.items()))
