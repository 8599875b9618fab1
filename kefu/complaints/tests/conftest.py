from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kefu.complaints.models import ComplaintCount
from kefu.complaints.services import complaints_install_defaults
from kefu.tests.factories import CategoryFactory, TicketFactory
from kefu.tickets.choices import TicketKind

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def defaults(db):
    complaints_install_defaults()


@pytest.fixture
def broadband(db):
    parent = CategoryFactory(name="宽带")
    return CategoryFactory(name="网络故障", parent=parent)


def history(
    category,
    *,
    days: int = 60,
    per_day: int = 6,
    until: datetime | None = None,
    regions: tuple[str, ...] = (),
) -> None:
    """Counter rows as if `per_day` complaints a day had come in over the last `days` days (two an
    hour at 10:00, 14:00 and 16:00 local), in the category's series and the 'all' series."""
    until = until or timezone.now()
    today = until.astimezone(SH).date()
    keys = (
        [("all", ""), ("channel", "phone")]
        + [("category", p) for p in category.path.strip("/").split("/")]
        + [("region", r) for r in regions]
    )
    rows = []
    for i in range(1, days + 1):
        day = today - timedelta(days=i)
        for hour in (10, 14, 16):
            at = datetime.combine(day, time(hour), SH).astimezone(ZoneInfo("UTC"))
            rows += [ComplaintCount(dimension=d, key=k, hour=at, count=per_day // 3) for d, k in keys]
    ComplaintCount.objects.bulk_create(rows)


def complaints(actor, category, n: int, *, customer=None, title: str = "宽带断网，一直上不了网") -> list:
    return [
        TicketFactory(
            actor=actor, title=title, kind=TicketKind.COMPLAINT, category=category, customer=customer
        )
        for _ in range(n)
    ]
