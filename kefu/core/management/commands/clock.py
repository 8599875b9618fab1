"""`kefu clock`: run time-driven jobs (auto-close, later SLA warnings and escalations) in a loop."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from kefu.core.clock import load_jobs, run_forever, run_pass


class Command(BaseCommand):
    help = "Run the clock: claim due rows (auto-close, ...) and call their services. Safe to run several at once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Run one pass and exit (for tests and cron).")
        parser.add_argument(
            "--idle", type=float, default=2.0, help="Seconds to sleep when nothing is due (default 2)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = load_jobs()
        if options["once"]:
            result = run_pass()
            self.stdout.write(
                f"clock: {result.handled} handled, {result.skipped} skipped, {result.failed} failed, "
                f"{result.refused} refused "
                f"({', '.join(j.name for j in jobs)})"
            )
            return
        stop = threading.Event()

        def _stop(signum: int, _frame: object) -> None:
            # Finish the row in hand, then leave between rows.
            self.stdout.write(f"clock: {signal.Signals(signum).name} received, stopping")
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        self.stdout.write(f"clock: running {', '.join(j.name for j in jobs) or '(no jobs)'}; Ctrl-C stops")
        run_forever(stop=stop, idle_seconds=options["idle"])
