"""Back-office reply limits, run by `kefu clock` (see kefu.core.clock)."""

from __future__ import annotations

from datetime import datetime

from kefu.core.clock import Job, register
from kefu.dispatch.models import TicketDispatch
from kefu.dispatch.services import dispatch_back_office_check


def _back_office(pk: int, due_at: datetime, now: datetime) -> bool:
    return dispatch_back_office_check(dispatch_id=pk, due_at=due_at, now=now)


# The partial index dispatch_backoffice_due_idx serves this scan.
JOBS = [register(Job(name="dispatch_back_office", model=TicketDispatch, due_field="back_office_due_at", handle=_back_office))]
