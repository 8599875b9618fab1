"""History rows of quality inspection: every state change writes one (drawn, assigned, submitted,
calibration opened/settled, appeal steps, coaching)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from kefu.accounts.models import User
from kefu.quality.models import Inspection, QualityEvent


class EventKind:
    DRAWN = "drawn"
    ASSIGNED = "assigned"
    SUBMITTED = "submitted"
    CALIBRATION_OPENED = "calibration_opened"
    CALIBRATION_SETTLED = "calibration_settled"
    APPEAL_CREATED = "appeal_created"
    APPEAL_FORWARDED = "appeal_forwarded"
    APPEAL_REJECTED = "appeal_rejected"
    APPEAL_UPHELD = "appeal_upheld"
    COACHING_OPENED = "coaching_opened"
    COACHING_DONE = "coaching_done"


def event(
    *, item_id: int, kind: str, actor: User | None = None, inspection: Inspection | None = None,
    at: datetime | None = None, **data: Any,
) -> QualityEvent:
    return QualityEvent.objects.create(
        item_id=item_id, kind=kind, actor=actor if actor is not None and actor.pk else None,
        inspection=inspection, data=data, at=at or timezone.now(),
    )
