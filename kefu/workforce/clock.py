"""Contact history from the system's own tickets, run by `kefu clock` (see kefu.core.clock).

A queue with "count the system's tickets as history" switched on carries `history_due_at`; each run counts the
tickets created since the queue's watermark per interval (services.history_refresh_due) and is due again five
minutes later (at once while a first run is still back-filling).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from kefu.core.clock import Job, register
from kefu.workforce.models import Queue
from kefu.workforce.services import history_refresh_due


def _history(pk: int, due_at: datetime, now: datetime) -> bool:
    return history_refresh_due(queue_id=pk, due_at=due_at, now=now)


# The partial index wf_queue_history_due_idx serves this scan.
JOBS = [
    register(
        Job(
            name="workforce_history",
            model=Queue,
            due_field="history_due_at",
            handle=_history,
            where=Q(count_tickets=True),
        )
    )
]
