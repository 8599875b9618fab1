"""`kefu demo`: load the Chinese demo data once, then print the demo logins."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from kefu.demo.seed import database_in_use, demo_load, demo_present, logins_table


class Command(BaseCommand):
    help = "Load deterministic Chinese demo data (users, teams, customers, tickets) into an empty database, once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tickets", type=int, default=3000, help="tickets to create (default 3000)")
        parser.add_argument("--customers", type=int, default=500, help="customers to create (default 500)")
        parser.add_argument("--days", type=int, default=90, help="spread tickets over the last N days (default 90)")

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_present():
            self.stdout.write("Demo data is already loaded; nothing changed.")
            self.stdout.write("\nDemo logins:\n" + logins_table())
            return
        if database_in_use():
            self.stdout.write(self.style.WARNING(
                "This database already holds tickets, customers or users with demo names; "
                "the demo loads only into an empty database. Nothing changed."
            ))
            return
        self.stdout.write(
            f"Loading demo data: {options['customers']} customers, {options['tickets']} tickets "
            f"over {options['days']} days ..."
        )
        started = time.monotonic()
        summary = demo_load(tickets=options["tickets"], customers=options["customers"], days=options["days"])
        elapsed = time.monotonic() - started
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(summary.statuses.items()))
        self.stdout.write(self.style.SUCCESS(
            f"Demo data loaded in {elapsed:.1f} s: {summary.users} users, {summary.customers} customers, "
            f"{summary.tickets} tickets ({statuses}), {summary.messages} replies and notes, "
            f"{summary.transfers} transfers."
        ))
        self.stdout.write("\nDemo logins:\n" + logins_table())
