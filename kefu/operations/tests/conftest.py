from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kefu.accounts.models import Team, User
from kefu.operations import equipment, services
from kefu.operations.choices import DeviceKind, Duty, PlanKind
from kefu.operations.models import Device, EmergencyPlan, FaultRouting
from kefu.operations.services import LevelInput
from kefu.tests.factories import CategoryFactory, UserFactory


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


@pytest.fixture
def it_team(db) -> Team:
    return Team.objects.create(name="IT 运维", kind="back_office", assignment_mode="manual")


@pytest.fixture
def it_ivan(it_team) -> User:
    return UserFactory(username="ivan", display_name="伊万", team=it_team)


@pytest.fixture
def routing(manager_mike: User, it_team: Team) -> FaultRouting:
    category = CategoryFactory(name="设备故障")
    return equipment.fault_routing_set(actor=manager_mike, category_id=category.pk, team_id=it_team.pk)


@pytest.fixture
def headset(manager_mike: User) -> Device:
    return equipment.device_create(
        actor=manager_mike, name="缤特力耳麦", kind=DeviceKind.HEADSET, asset_no="EJ-001", location="一线 A 区 3 号",
        now=datetime(2026, 10, 1, tzinfo=ZoneInfo("Asia/Shanghai")),
    )  # fmt: skip
