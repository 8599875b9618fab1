from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.points import services
from kefu.points.models import CatalogueItem


@pytest.fixture
def training(manager_mike) -> CatalogueItem:
    return services.item_save(actor=manager_mike, name="沟通技巧培训", kind="training", cost=30, description="外部课程一天")


@pytest.fixture
def half_day_off(manager_mike) -> CatalogueItem:
    return services.item_save(actor=manager_mike, name="调休半天", kind="time_off", cost=20, leave_hours=4)


@pytest.fixture
def gift(manager_mike) -> CatalogueItem:
    return services.item_save(actor=manager_mike, name="保温杯", kind="gift", cost=10)


def give(agent, points: int, by, reason: str = "表现突出") -> None:  # type: ignore[no-untyped-def]
    """Post points through the service (split to stay under the approval threshold)."""
    while points > 0:
        n = min(points, 10)
        services.points_award(actor=by, agent_id=agent.pk, points=n, reason=reason)
        points -= n


def tomorrow_9():  # type: ignore[no-untyped-def]
    local = timezone.localtime() + timedelta(days=1)
    return local.replace(hour=9, minute=0, second=0, microsecond=0)
