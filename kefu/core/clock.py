"""The clock: time-driven work over indexed `*_due_at` columns (healthchecks `sendalerts` shape).

Each registered job names a model and its due column. One pass takes the earliest due rows of every
job and hands each to the job's handler, which calls a service. The service claims the row with a
conditional UPDATE (`... WHERE due_at = <the value we read>`), so several clocks may run at once: for
each row exactly one caller's claim succeeds and the others get False and move on. A handler that
raises is logged and its row is pushed `retry_after` into the future (again with a conditional
UPDATE), so one bad row cannot block the rows behind it or spin the loop. A handler refused by a
business rule (a `DomainError`, e.g. a reaction that vetoes the change) is expected, not a failure:
it is logged as a warning without a stack trace, counted as `refused`, and its row is pushed the
job's longer `refused_after`.

Adding a job is a few lines in the app's own `clock.py`, found by `load_jobs()`:

    from kefu.core.clock import Job, register
    register(Job(name="ticket_auto_close", model=Ticket, due_field="auto_close_due_at",
                 handle=lambda pk, due_at, now: ticket_auto_close(ticket_id=pk, due_at=due_at, now=now)))
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import close_old_connections, models
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from kefu.core.errors import DomainError

logger = logging.getLogger("kefu.clock")

# handle(row_id, due_at, now) -> True when this call claimed the row and did the work.
Handler = Callable[[int, datetime, datetime], bool]


@dataclass(frozen=True)
class Job:
    name: str
    model: type[models.Model]
    due_field: str
    handle: Handler
    # Extra conditions on due rows (the due column should carry a partial index that matches).
    where: models.Q = field(default_factory=models.Q)
    batch_size: int = 100
    retry_after: timedelta = timedelta(minutes=5)
    # A row a business rule refused (DomainError) is tried again this much later.
    refused_after: timedelta = timedelta(hours=6)

    def due_rows(self, now: datetime) -> list[tuple[int, datetime]]:
        """(pk, due_at) of the earliest due rows, oldest first."""
        lookup = {f"{self.due_field}__lte": now}
        qs = (
            self.model._default_manager.filter(self.where, **lookup)
            .order_by(self.due_field, "pk")
            .values_list("pk", self.due_field)
        )
        return list(qs[: self.batch_size])

    def postpone(self, pk: int, due_at: datetime, until: datetime) -> bool:
        """Push a failing row's due time forward; conditional, so a row another clock has
        meanwhile handled (or postponed) is left alone."""
        manager = self.model._default_manager
        return manager.filter(pk=pk, **{self.due_field: due_at}).update(**{self.due_field: until}) == 1


_jobs: dict[str, Job] = {}
_loaded = False


def register(job: Job) -> Job:
    """Add a job to the clock (registering the same name again replaces it)."""
    _jobs[job.name] = job
    return job


def jobs() -> list[Job]:
    return list(_jobs.values())


def load_jobs() -> list[Job]:
    """Import `<app>/clock.py` of every installed app, where jobs register themselves."""
    global _loaded
    if not _loaded:
        autodiscover_modules("clock")
        _loaded = True
    return jobs()


@dataclass
class PassResult:
    handled: int = 0  # rows this process claimed and worked
    skipped: int = 0  # due rows another clock claimed first, or that no longer apply
    failed: int = 0  # handlers that raised
    refused: int = 0  # handlers a business rule refused (DomainError): expected, tried again later
    by_job: dict[str, int] = field(default_factory=dict)

    @property
    def seen(self) -> int:
        return self.handled + self.skipped + self.failed + self.refused


def run_pass(
    *,
    job_list: list[Job] | None = None,
    now: datetime | None = None,
    stop: threading.Event | None = None,
) -> PassResult:
    """One pass over every job's due rows. Stops between rows when `stop` is set. Never raises for a
    failing row: the error is logged and the row postponed by the job's `retry_after` (a business
    rule's refusal: a warning, and `refused_after`)."""
    result = PassResult()
    for job in load_jobs() if job_list is None else job_list:
        if stop is not None and stop.is_set():
            break
        at = now or timezone.now()
        try:
            rows = job.due_rows(at)
        except Exception:
            logger.exception("clock: cannot read due rows of %s", job.name)
            result.failed += 1
            continue
        for pk, due_at in rows:
            if stop is not None and stop.is_set():
                break
            row_now = now or timezone.now()
            try:
                done = job.handle(pk, due_at, row_now)
            except DomainError as exc:
                result.refused += 1
                until = row_now + job.refused_after
                logger.warning(
                    "clock: %s row %s refused (%s: %s); trying again at %s",
                    job.name,
                    pk,
                    exc.code,
                    exc,
                    until.isoformat(),
                )
                try:
                    job.postpone(pk, due_at, until)
                except Exception:
                    logger.exception("clock: cannot postpone %s row %s", job.name, pk)
                continue
            except Exception:
                result.failed += 1
                logger.exception("clock: %s failed on row %s (due %s); retrying later", job.name, pk, due_at)
                try:
                    job.postpone(pk, due_at, row_now + job.retry_after)
                except Exception:
                    logger.exception("clock: cannot postpone %s row %s", job.name, pk)
                continue
            if done:
                result.handled += 1
                result.by_job[job.name] = result.by_job.get(job.name, 0) + 1
                logger.info("clock: %s handled row %s", job.name, pk)
            else:
                result.skipped += 1
    return result


def run_forever(*, stop: threading.Event, idle_seconds: float = 2.0) -> None:
    """Run passes until `stop` is set. Sleeps `idle_seconds` after a pass that claimed nothing;
    goes straight on after a busy one (there may be more due rows than one batch)."""
    load_jobs()
    logger.info("clock: started with jobs %s", ", ".join(j.name for j in jobs()) or "(none)")
    while not stop.is_set():
        # A long-running loop must drop connections the database closed or that outlived CONN_MAX_AGE.
        close_old_connections()
        try:
            result = run_pass(stop=stop)
        except Exception:  # pragma: no cover - run_pass already guards each row and job
            logger.exception("clock: pass failed")
            result = PassResult()
        if result.handled == 0:
            stop.wait(idle_seconds)
    close_old_connections()
    logger.info("clock: stopped")
