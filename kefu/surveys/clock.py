"""Time-driven survey work, run by `kefu clock` (see kefu.core.clock). Each job's due column has a
partial index (survey_*_due_idx, survey_summary_due_idx)."""

from __future__ import annotations

from datetime import datetime

from kefu.core.clock import Job, register
from kefu.surveys.models import DailySummary, Survey
from kefu.surveys.services import summary_send, survey_dispatch, survey_expire, survey_followup, survey_remind


def _send(pk: int, due_at: datetime, now: datetime) -> bool:
    return survey_dispatch(survey_id=pk, due_at=due_at, now=now)


def _remind(pk: int, due_at: datetime, now: datetime) -> bool:
    return survey_remind(survey_id=pk, due_at=due_at, now=now)


def _expire(pk: int, due_at: datetime, now: datetime) -> bool:
    return survey_expire(survey_id=pk, due_at=due_at, now=now)


def _followup(pk: int, due_at: datetime, now: datetime) -> bool:
    return survey_followup(survey_id=pk, due_at=due_at, now=now)


def _summary(pk: int, due_at: datetime, now: datetime) -> bool:
    return summary_send(summary_id=pk, due_at=due_at, now=now)


JOBS = [
    register(Job(name="survey_send", model=Survey, due_field="send_due_at", handle=_send, batch_size=200)),
    register(Job(name="survey_remind", model=Survey, due_field="reminder_due_at", handle=_remind, batch_size=200)),
    register(Job(name="survey_expire", model=Survey, due_field="expire_due_at", handle=_expire, batch_size=500)),
    register(Job(name="survey_followup", model=Survey, due_field="followup_due_at", handle=_followup)),
    register(Job(name="callback_daily_summary", model=DailySummary, due_field="due_at", handle=_summary, batch_size=5)),
]
