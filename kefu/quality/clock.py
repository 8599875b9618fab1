"""Time-driven quality work, run by `kefu clock` (see kefu.core.clock): each active sampling plan
draws the day or month that just ended, and ended chats are captured
as inspection items every few minutes (kefu.quality.chat_items)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from kefu.core.clock import Job, register
from kefu.quality.chat_items import chat_capture_due
from kefu.quality.models import ChatCapture, SamplingPlan
from kefu.quality.sampling import plan_draw_due


def _draw(pk: int, due_at: datetime, now: datetime) -> bool:
    return plan_draw_due(plan_id=pk, due_at=due_at, now=now)


JOBS = [
    register(
        Job(name="quality_plan_draw", model=SamplingPlan, due_field="next_draw_at", handle=_draw,
            where=Q(is_active=True), batch_size=5)
    ),
    register(
        Job(name="quality_chat_capture", model=ChatCapture, due_field="next_run_at", batch_size=1,
            handle=lambda pk, due_at, now: chat_capture_due(cursor_id=pk, due_at=due_at, now=now))
    ),
]
