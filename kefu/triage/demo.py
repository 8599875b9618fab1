"""AI triage demo data (AI 预判分流演示): a model trained from the demo's own handled tickets at
`kefu demo` time (a few seconds on 2 cores), then suggestions for the tickets still open, so the
ticket page and the dispatch board show them. Through the real services."""

from __future__ import annotations

from kefu.core.errors import DomainError
from kefu.tickets.choices import OPEN_STATUSES
from kefu.tickets.models import Ticket
from kefu.triage.services import schedule_ensure, triage_on_create, triage_train


def load_triage_demo(*, open_limit: int = 400) -> int:
    """Train, and suggest for up to `open_limit` open tickets (newest first). Returns how many got
    suggestions; 0 when the demo is too small to learn from."""
    schedule_ensure()
    try:
        triage_train(note="demo")
    except DomainError:
        return 0
    ids = list(
        Ticket.objects.filter(status__in=OPEN_STATUSES, merged_into__isnull=True)
        .order_by("-created_at")
        .values_list("pk", flat=True)[:open_limit]
    )
    return sum(1 for pk in ids if triage_on_create(ticket_id=pk))
