"""`kefu sla_recompute`: recompute the SLA state of open tickets (after editing policies or calendars)."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from kefu.sla.services import sla_recompute_many
from kefu.tickets.choices import OPEN_STATUSES
from kefu.tickets.models import Ticket


def _recompute_chunk(ids: list[int], batch: int) -> int:
    written = 0
    for i in range(0, len(ids), batch):
        written += sla_recompute_many(ids[i : i + batch])
    connections.close_all()
    return written


class Command(BaseCommand):
    help = "Recompute SLA due times of every open ticket (or --all tickets), in batches."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--all", action="store_true", help="Closed and resolved tickets too.")
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument(
            "--processes", type=int, default=1, help="Worker processes, each taking a contiguous range of ids."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch, processes = options["batch"], options["processes"]
        if batch < 1 or processes < 1:
            raise CommandError("--batch and --processes must be at least 1")
        qs = Ticket.objects.all() if options["all"] else Ticket.objects.filter(status__in=OPEN_STATUSES)
        ids = list(qs.order_by("pk").values_list("pk", flat=True))
        started = time.perf_counter()
        if processes == 1 or len(ids) <= batch:
            written = _recompute_chunk(ids, batch)
        else:
            # Disjoint id ranges, so the workers never lock the same TicketSla rows. Connections are
            # closed before forking: each worker opens its own.
            size = -(-len(ids) // processes)
            chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
            connections.close_all()
            with multiprocessing.get_context("fork").Pool(len(chunks)) as pool:
                written = sum(pool.starmap(_recompute_chunk, [(chunk, batch) for chunk in chunks]))
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"sla: {len(ids)} tickets recomputed, {written} rows written"
            + (f" in {seconds:.1f} s with {processes} process(es)" if options["verbosity"] > 1 else "")
        )
