from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.appointments.models import Resource, ServiceType

# A Wednesday in a year the holiday package does not know: an ordinary working day.
DAY = datetime(2027, 3, 10, tzinfo=UTC).date()
NOW = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def advisor(db) -> Resource:
    return Resource.objects.create(name="服务顾问 李工", hours="09:00-12:00 13:00-17:00", weekdays="012345", capacity=1)


@pytest.fixture
def bay(db) -> Resource:
    return Resource.objects.create(name="工位 1", kind="bay", hours="09:00-12:00", weekdays="0123456", capacity=2)


@pytest.fixture
def quick(db) -> ServiceType:
    return ServiceType.objects.create(name="快速检查", slots=1)


@pytest.fixture
def baoyang(db) -> ServiceType:
    return ServiceType.objects.create(name="保养", slots=4)
