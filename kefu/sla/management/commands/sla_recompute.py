"""`kefu sla_recompute`: recompute the SLA state of open tickets (after editing policies or calendars)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kefu.sla.services import sla_recompute_many
from kefu.tickets.choices import OPEN_STATUSES
from kefu.tickets.models import Ticket


class Command(BaseCommand):
    help = "Recompute SLA due times of every open ticket (or --all tickets), in batches."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--all", action="store_true", help="Closed and resolved tickets too.")
        parser.add_argument("--batch", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        qs = Ticket.objects.all() if options["all"] else Ticket.objects.filter(status__in=OPEN_STATUSES)
        ids = list(qs.order_by("pk").values_list("pk", flat=True))
        written = 0
        for i in range(0, len(ids), options["batch"]):
            written += sla_recompute_many(ids[i : i + options["batch"]])
        self.stdout.write(f"sla: {len(ids)} tickets recomputed, {written} rows written")
