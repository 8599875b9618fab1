"""`kefu reactions`: the ticket reactions in running order; `--failed` lists failed ones, `--retry`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from kefu.tickets.models import ReactionFailure
from kefu.tickets.reactions import describe, failure_retry


class Command(BaseCommand):
    help = "List the apps' reactions to ticket facts in running order, or the failed ones (--failed)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--failed", action="store_true", help="List failed after-commit and task reactions.")
        parser.add_argument("--all", action="store_true", help="With --failed: include resolved ones.")
        parser.add_argument("--retry", type=int, nargs="*", metavar="ID", help="Retry these failures now (no ID: all open).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry"] is not None:
            ids = options["retry"] or list(
                ReactionFailure.objects.filter(resolved_at__isnull=True).order_by("pk").values_list("pk", flat=True)
            )
            ok = sum(failure_retry(failure_id=i) for i in ids)
            self.stdout.write(f"retried {len(ids)}: {ok} succeeded, {len(ids) - ok} failed again")
            return
        if options["failed"]:
            rows = ReactionFailure.objects.order_by("-failed_at")
            if not options["all"]:
                rows = rows.filter(resolved_at__isnull=True)
            for r in rows[:200]:
                when = timezone.localtime(r.failed_at).strftime("%Y-%m-%d %H:%M")
                state = "resolved" if r.resolved_at else (f"next {timezone.localtime(r.next_attempt_at):%H:%M}" if r.next_attempt_at else "given up")
                self.stdout.write(f"{r.pk:>6}  {when}  {r.ticket_number}  {r.reaction}  attempts={r.attempts}  {state}  {r.error[:100]}")
            if not rows.exists():
                self.stdout.write("no failed reactions")
            return
        self.stdout.write("phase           order  reaction                           facts")
        for line in describe():
            self.stdout.write(line)
