"""The small fixed cast every test can use: agent_alice and teammate_bob in 一线客服,
outsider_charlie in 售后, lead_linda leading 一线客服, manager_mike, qa_quinn."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from kefu.accounts.choices import Presence, Role
from kefu.accounts.models import Team, User
from kefu.dispatch import config as dispatch_config
from kefu.sla import config as sla_config
from kefu.tests.factories import CategoryFactory, CustomerFactory, TierFactory, UserFactory
from kefu.triage import store as triage_store


@pytest.fixture(autouse=True)
def _fast_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.LANGUAGE_CODE = "zh-hans"
    # Tests of other apps expect tickets to stay where they put them; dispatch tests switch it on.
    settings.KEFU_AUTO_DISPATCH = False
    # Rate-limit counters and lock-outs live in the cache: every test starts with none.
    cache.clear()
    # The per-process configuration caches are keyed by a token row; a transactional test's flush
    # removes that row, so the next test could meet the last one's rules (deleted teams, policies)
    # under the same "no row yet" token. In a server the rows are never wiped under it.
    sla_config._cached = None
    dispatch_config._cached = None
    triage_store._rows.clear()  # a flushed database may hand the same model id out again


@pytest.fixture
def front_team(db) -> Team:
    return Team.objects.create(name="一线客服", is_default=True)


@pytest.fixture
def aftersales_team(db) -> Team:
    return Team.objects.create(name="售后")


@pytest.fixture
def agent_alice(front_team) -> User:
    return UserFactory(username="alice", display_name="艾丽丝", team=front_team, presence=Presence.ONLINE)


@pytest.fixture
def teammate_bob(front_team) -> User:
    return UserFactory(username="bob", display_name="鲍勃", team=front_team, presence=Presence.ONLINE)


@pytest.fixture
def outsider_charlie(aftersales_team) -> User:
    return UserFactory(username="charlie", display_name="查理", team=aftersales_team)


@pytest.fixture
def lead_linda(front_team) -> User:
    return UserFactory(username="linda", display_name="林达", team=front_team, role=Role.TEAM_LEAD)


@pytest.fixture
def manager_mike(db) -> User:
    return UserFactory(username="mike", display_name="马克", role=Role.MANAGER)


@pytest.fixture
def qa_quinn(db) -> User:
    return UserFactory(username="quinn", display_name="秦", role=Role.QA)


@pytest.fixture
def tier_normal(db):
    return TierFactory(name="普通", rank=0, is_default=True)


@pytest.fixture
def customer_wang(tier_normal):
    return CustomerFactory(name="王小明", phones=["13812341234"], email="wang@example.com", id_number="110101199001011234")


@pytest.fixture
def category_billing(db):
    return CategoryFactory(name="账单")


def login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client
