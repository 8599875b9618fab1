"""/api/v1/points/: visibility, the happy path of a redemption, and bad input as 4xx with a code."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kefu.accounts.services import api_token_create
from kefu.points import selectors, services
from kefu.points.tests.conftest import give

pytestmark = pytest.mark.django_db


def api(client: Client, user, method: str, path: str, body: Any = None) -> Any:  # type: ignore[no-untyped-def]
    token = api_token_create(user=user, name="t")[1]
    headers = {"Authorization": f"Bearer {token}"}
    if body is None:
        return client.generic(method, f"/api/v1/points{path}", headers=headers)
    import json

    return client.generic(method, f"/api/v1/points{path}", json.dumps(body), content_type="application/json", headers=headers)


def test_balance_and_ledger_are_the_callers_own(client, agent_alice, teammate_bob, lead_linda) -> None:
    give(agent_alice, 12, lead_linda)
    r = api(client, agent_alice, "GET", "/balance")
    assert r.status_code == 200 and r.json() == {"agent_id": agent_alice.pk, "name": "艾丽丝", "balance": 12, "reserved": 0, "available": 12}
    assert [e["points"] for e in api(client, agent_alice, "GET", "/ledger").json()] == [2, 10]
    r = api(client, teammate_bob, "GET", f"/balance?agent_id={agent_alice.pk}")
    assert r.status_code == 404 and r.json()["code"] == "points_agent_not_found"
    assert api(client, lead_linda, "GET", f"/ledger?agent_id={agent_alice.pk}").status_code == 200


def test_redeem_then_the_lead_approves(client, agent_alice, lead_linda, gift) -> None:
    give(agent_alice, 15, lead_linda)
    r = api(client, agent_alice, "POST", "/redeem", {"item_id": gift.pk})
    assert r.status_code == 201 and r.json()["status"] == "pending"
    rid = r.json()["id"]
    assert api(client, agent_alice, "GET", "/balance").json()["available"] == 5
    r = api(client, lead_linda, "POST", f"/redemptions/{rid}/decision", {"approve": True})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert selectors.balance_of(agent_alice.pk) == 5


def test_bad_redemptions_answer_4xx_with_a_code(client, agent_alice, lead_linda, training) -> None:
    give(agent_alice, 5, lead_linda)
    r = api(client, agent_alice, "POST", "/redeem", {"item_id": training.pk})
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "points_insufficient_balance" and "积分不足" in body["message"]
    r = api(client, agent_alice, "POST", "/redeem", {"item_id": 987654})
    assert r.status_code == 404 and r.json()["code"] == "points_item_not_found"
    r = api(client, agent_alice, "POST", "/redeem", {"item_id": "x"})
    assert r.status_code == 422


def test_awards_and_suggestions_through_the_api(client, agent_alice, lead_linda, manager_mike) -> None:
    r = api(client, agent_alice, "POST", "/award", {"agent_id": agent_alice.pk, "points": 5, "reason": "x"})
    assert r.status_code == 403
    r = api(client, lead_linda, "POST", "/award", {"agent_id": agent_alice.pk, "points": 50, "reason": "攻坚"})
    assert r.status_code == 201 and r.json()["posted"] is False
    award_id = r.json()["request"]["id"]
    assert [a["id"] for a in api(client, manager_mike, "GET", "/awards").json()] == [award_id]
    assert api(client, manager_mike, "POST", f"/awards/{award_id}/decision", {"approve": True}).status_code == 200
    r = api(client, agent_alice, "POST", "/suggestions", {"title": "建议", "body": "内容"})
    assert r.status_code == 201
    sid = r.json()["id"]
    assert api(client, lead_linda, "POST", f"/suggestions/{sid}/reject", {"reason": ""}).status_code == 422
    assert api(client, lead_linda, "POST", f"/suggestions/{sid}/adopt", {}).json()["status"] == "adopted"
    assert selectors.balance_of(agent_alice.pk) == 60


def test_the_star_endpoint(client, agent_alice, lead_linda, manager_mike) -> None:
    give(agent_alice, 10, lead_linda)
    r = api(client, manager_mike, "GET", "/star")
    assert r.status_code == 200 and r.json()["ranking"][0]["name"] == "艾丽丝"
    r = api(client, manager_mike, "GET", "/star?month=2026-13")
    assert r.status_code == 422 and r.json()["code"] == "points_invalid_input"
    services.star_announce(actor=manager_mike, month=selectors.parse_month(None))
    assert api(client, agent_alice, "GET", "/star").json()["announced_name"] == "艾丽丝"
