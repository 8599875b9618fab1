from __future__ import annotations

import pytest

from kefu.accounts.models import User
from kefu.operations import services
from kefu.operations.choices import Duty, PlanKind
from kefu.operations.models import EmergencyPlan
from kefu.operations.services import LevelInput


@pytest.fixture
def plan(manager_mike: User, lead_linda: User, agent_alice: User, teammate_bob: User) -> EmergencyPlan:
    for u in (manager_mike, lead_linda, agent_alice):
        User.objects.filter(pk=u.pk).update(email=f"{u.username}@kefu.example")
        u.refresh_from_db()
    return services.plan_create(
        actor=manager_mike, name="系统故障应急预案", kind=PlanKind.SYSTEM_OUTAGE,
        levels=[
            LevelInput(level=1, ack_minutes=5, steps=["确认影响范围", "启用故障话术"],
                       roles=[(lead_linda.pk, Duty.DECIDES), (agent_alice.pk, Duty.ACTS)]),
            LevelInput(level=2, ack_minutes=5, steps=["通知厂商"], roles=[(manager_mike.pk, Duty.DECIDES)]),
        ],
    )  # fmt: skip
