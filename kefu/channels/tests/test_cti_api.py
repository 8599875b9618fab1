"""GET /api/v1/channels/calls/ and /calls/{id}: the calls page's visibility through the API, its
filters (agent, state, local days, customer), masking of numbers and of the recording link."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.channels import signing
from kefu.channels.cti import CtiAccountInput, cti_account_save
from kefu.channels.models import Call, ChannelAccount

pytestmark = pytest.mark.django_db

SECRET = "cti-secret-0123456789abcdef"
T0 = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.get_fixed_timezone(480))


@pytest.fixture
def cti_account(manager_mike, front_team) -> ChannelAccount:
    return cti_account_save(actor=manager_mike, data=CtiAccountInput(name="呼叫中心", secret=SECRET, team=front_team, vendor="sim"))


@pytest.fixture
def after_account(manager_mike, aftersales_team) -> ChannelAccount:
    return cti_account_save(actor=manager_mike, data=CtiAccountInput(name="售后热线", secret=SECRET, team=aftersales_team, vendor="sim"))


def event(client: Client, account: ChannelAccount, n: int, kind: str, call: str, at: datetime, **kw: Any) -> None:
    body = json.dumps({"event_id": f"{call}-{n}", "type": kind, "call_id": call, "at": at.isoformat(), **kw},
                      ensure_ascii=False).encode()
    r = client.post("/api/v1/channels/calls/events", body, content_type="application/json",
                    headers=signing.signed_headers(account.pk, SECRET, body))
    assert r.status_code == 200, r.content


def answered_call(client: Client, account: ChannelAccount, call: str, at: datetime, agent: str, caller: str) -> None:
    event(client, account, 1, "ringing", call, at, caller=caller, agent=agent)
    event(client, account, 2, "answered", call, at + timedelta(seconds=10), agent=agent)
    event(client, account, 3, "ended", call, at + timedelta(seconds=130))
    event(client, account, 4, "recording", call, at + timedelta(seconds=131), recording_url=f"https://rec.example.cn/{call}.mp3")


@pytest.fixture
def calls(client, cti_account, after_account, agent_alice, teammate_bob, outsider_charlie, customer_wang) -> dict[str, Call]:
    answered_call(client, cti_account, "a1", T0, "alice", "13812341234")
    answered_call(client, cti_account, "b1", T0 - timedelta(days=2), "bob", "13900002222")
    event(client, cti_account, 1, "ringing", "m1", T0 + timedelta(hours=1), caller="13900003333")
    event(client, cti_account, 2, "missed", "m1", T0 + timedelta(hours=1, seconds=30))
    answered_call(client, after_account, "c1", T0, "charlie", "13812341234")
    return {c.call_id: c for c in Call.objects.all()}


def api(client: Client, user: User, url: str, **params: Any) -> Any:
    token = api_token_create(user=user, name="t")[1]
    return client.get(url, params, headers={"Authorization": f"Bearer {token}"})


def ids(r: Any) -> list[str]:
    assert r.status_code == 200, r.content
    return [c["call_id"] for c in r.json()]


def test_agents_see_their_teams_calls_leads_their_team_managers_all(
    client, calls, agent_alice, outsider_charlie, lead_linda, manager_mike, qa_quinn
):
    url = "/api/v1/channels/calls/"
    assert ids(api(client, agent_alice, url)) == ["m1", "b1", "a1"]
    assert ids(api(client, lead_linda, url)) == ["m1", "b1", "a1"]
    assert ids(api(client, outsider_charlie, url)) == ["c1"]
    assert sorted(ids(api(client, manager_mike, url))) == ["a1", "b1", "c1", "m1"]
    assert ids(api(client, qa_quinn, url)) == []
    one = calls["c1"].pk
    assert api(client, agent_alice, f"{url}{one}").status_code == 404
    assert api(client, agent_alice, f"{url}999999").json()["code"] == "channel_not_found"
    assert api(client, outsider_charlie, f"{url}{one}").json()["call_id"] == "c1"


def test_numbers_are_masked_and_recordings_hidden_for_roles_that_may_not_see_them(
    client, calls, agent_alice, teammate_bob, manager_mike, customer_wang
):
    a1 = calls["a1"].pk
    mine = api(client, agent_alice, f"/api/v1/channels/calls/{a1}").json()
    assert mine["caller"] == "138****1234" and "13812341234" not in json.dumps(mine)
    assert mine["customer_id"] == customer_wang.pk and mine["customer"] == "王小明"
    assert (mine["state"], mine["wait_seconds"], mine["talk_seconds"], mine["handle_seconds"]) == ("ended", 10, 120, 120)
    assert mine["recording_url"].endswith("a1.mp3")  # she took the call
    bobs = api(client, teammate_bob, f"/api/v1/channels/calls/{a1}").json()
    assert bobs["recording_url"] == "" and bobs["caller"] == "138****1234"
    full = api(client, manager_mike, f"/api/v1/channels/calls/{a1}").json()
    assert full["caller"] == "13812341234" and full["recording_url"].endswith("a1.mp3")


def test_filters_agent_state_days_customer_and_paging(client, calls, manager_mike, teammate_bob, customer_wang):
    url = "/api/v1/channels/calls/"
    assert ids(api(client, manager_mike, url, agent_id=teammate_bob.pk)) == ["b1"]
    assert ids(api(client, manager_mike, url, state="missed")) == ["m1"]
    assert sorted(ids(api(client, manager_mike, url, customer_id=customer_wang.pk))) == ["a1", "c1"]
    day = T0.date().isoformat()
    assert sorted(ids(api(client, manager_mike, url, date_from=day, date_to=day))) == ["a1", "c1", "m1"]
    before = (T0 - timedelta(days=1)).date().isoformat()
    assert ids(api(client, manager_mike, url, date_to=before)) == ["b1"]
    first = api(client, manager_mike, url, limit=2).json()
    rest = api(client, manager_mike, url, limit=2, before_id=first[-1]["id"]).json()
    assert len(first) == 2 and len(rest) == 2 and not {c["id"] for c in first} & {c["id"] for c in rest}


def test_bad_filters_are_400_with_a_code(client, calls, manager_mike):
    url = "/api/v1/channels/calls/"
    r = api(client, manager_mike, url, state="exploded")
    assert r.status_code == 400 and r.json()["code"] == "channel_invalid_filter" and "state" in r.json()["fields"]
    r = api(client, manager_mike, url, date_from="2026-12-08", date_to="2026-12-01")
    assert r.status_code == 400 and r.json()["code"] == "channel_invalid_filter"
    assert api(client, manager_mike, url, date_from="not-a-day").status_code == 422


def test_the_list_does_not_grow_queries_with_rows(client, calls, manager_mike, django_assert_max_num_queries):
    token = api_token_create(user=manager_mike, name="t")[1]
    with django_assert_max_num_queries(8):
        r = client.get("/api/v1/channels/calls/", headers={"Authorization": f"Bearer {token}"})
    assert len(r.json()) == 4
