"""`kefu dispatch_loads`: check the per-agent open-ticket counters against a recount (and repair)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kefu.dispatch.selectors import agent_loads_drift
from kefu.dispatch.services import agent_loads_repair


class Command(BaseCommand):
    help = "Compare each agent's open-ticket counter (used by dispatch) with a recount; --repair fixes them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--repair", action="store_true", help="Write the recounted values.")

    def handle(self, *args: Any, **options: Any) -> None:
        drift = agent_loads_repair() if options["repair"] else agent_loads_drift()
        for uid, ((n0, w0), (n1, w1)) in sorted(drift.items()):
            self.stdout.write(f"user {uid}: stored {n0} open (weighted {w0}), counted {n1} (weighted {w1})")
        if not drift:
            self.stdout.write("agent loads: all match")
        elif options["repair"]:
            self.stdout.write(f"agent loads: {len(drift)} repaired")
        else:
            raise CommandError(f"agent loads: {len(drift)} differ from the recount (run with --repair)")
