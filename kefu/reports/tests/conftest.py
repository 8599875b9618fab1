from __future__ import annotations

import pytest

from kefu.performance.tests.conftest import World, at, world  # noqa: F401 - the October 2026 world
from kefu.reports.models import ReportPack
from kefu.reports.services import pack_create


@pytest.fixture
def monthly(manager_mike) -> ReportPack:  # type: ignore[no-untyped-def]
    return pack_create(actor=manager_mike, name="月度例会报表", period_kind="month")


@pytest.fixture
def weekly(manager_mike) -> ReportPack:  # type: ignore[no-untyped-def]
    return pack_create(actor=manager_mike, name="周例会报表", period_kind="week")
