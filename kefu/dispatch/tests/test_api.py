from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.dispatch import config
from kefu.dispatch.models import CategoryRule, RoutingRule
from kefu.dispatch.services import rules_install_defaults
from kefu.tests.factories import CategoryFactory
from kefu.tickets.choices import TicketKind

pytestmark = pytest.mark.django_db


def call(client: Client, method: str, url: str, user: User | None, body: Any = None) -> Any:
    headers = {}
    if user is not None:
        _row, token = api_token_create(user=user, name="t")
        headers["Authorization"] = f"Bearer {token}"
    if method == "get":
        return client.get(url, headers=headers)
    return client.post(url, data=body or {}, content_type="application/json", headers=headers)


def test_anonymous_gets_401(client):
    assert call(client, "get", "/api/v1/dispatch/tickets/GD1/decisions", None).status_code == 401


def test_decisions_and_triage(client, mk, agent_alice, teammate_bob, lead_linda, outsider_charlie, django_assert_max_num_queries):
    rules_install_defaults()
    ticket, _ = mk(lead_linda, title="我要找律师起诉", kind=TicketKind.COMPLAINT)
    r = call(client, "get", f"/api/v1/dispatch/tickets/{ticket.number}/decisions", agent_alice)
    assert r.status_code == 200
    [d] = r.json()
    assert d["outcome"] == "assigned" and d["trigger"] == "create" and d["mode"] == "load_balanced"
    assert {c["verdict"] for c in d["candidates"]} == {"chosen", "less_idle"}
    r = call(client, "get", f"/api/v1/dispatch/tickets/{ticket.number}", agent_alice)
    body = r.json()
    assert body["priority"] == "high" and body["severity"] == "major"
    assert "keywords:律师,起诉" in body["fired"][0]["why"]
    # Invisible ticket: 404 in the error shape.
    r = call(client, "get", f"/api/v1/dispatch/tickets/{ticket.number}", outsider_charlie)
    assert r.status_code == 404 and r.json()["code"] == "ticket_not_found"
    _row, token = api_token_create(user=agent_alice)
    with django_assert_max_num_queries(8):
        client.get(f"/api/v1/dispatch/tickets/{ticket.number}/decisions", headers={"Authorization": f"Bearer {token}"})


def test_accept_suggestion(client, mk, agent_alice, lead_linda):
    cat = CategoryFactory(name="退款")
    CategoryRule.objects.create(category=cat, keywords=["退款"])
    config.rules_changed()
    ticket, _ = mk(lead_linda, title="退款问题")
    r = call(client, "post", f"/api/v1/dispatch/tickets/{ticket.number}/suggestion/accept", agent_alice)
    assert r.status_code == 200 and r.json()["suggestion"]["state"] == "accepted"
    r = call(client, "post", f"/api/v1/dispatch/tickets/{ticket.number}/suggestion/accept", agent_alice)
    assert r.status_code == 400 and r.json()["code"] == "no_category_suggestion"
    r = call(client, "post", f"/api/v1/dispatch/tickets/{ticket.number}/suggestion/dismiss", agent_alice)
    assert r.status_code == 400


def test_preview(client, front_team, aftersales_team, agent_alice, lead_linda, outsider_charlie):
    RoutingRule.objects.create(name="售后", keywords=["维修"], team=aftersales_team)
    config.rules_changed()
    r = call(client, "post", "/api/v1/dispatch/preview", lead_linda, {"text": "车要维修", "kind": "repair"})
    body = r.json()
    assert r.status_code == 200 and body["team"] == "售后" and body["rule"] == "售后" and body["chosen"] is None
    assert body["candidates"][0]["verdict"]  # charlie: offline
    r = call(client, "post", "/api/v1/dispatch/preview", lead_linda, {"text": "你好"})
    assert r.json()["team"] == "一线客服" and r.json()["chosen"] == "alice"
    assert call(client, "post", "/api/v1/dispatch/preview", agent_alice, {"text": "x"}).status_code == 403
    r = call(client, "post", "/api/v1/dispatch/preview", lead_linda, {"text": "x", "kind": "nope"})
    assert r.status_code == 422 and "kind" in r.json()["fields"]
    r = call(client, "post", "/api/v1/dispatch/preview", lead_linda, {"text": "x", "customer_id": 999})
    assert r.status_code == 404 and r.json()["code"] == "customer_not_found"


def test_board_and_drain(client, mk, front_team, aftersales_team, agent_alice, lead_linda, manager_mike, django_assert_max_num_queries):
    agent_alice.capacity = 0
    agent_alice.save(update_fields=["capacity"])
    for _ in range(3):
        mk(lead_linda)
    r = call(client, "get", f"/api/v1/dispatch/teams/{front_team.pk}/board", lead_linda)
    body = r.json()
    assert r.status_code == 200 and body["queue_total"] == 3 and len(body["queue"]) == 3
    assert {a["username"] for a in body["agents"]} == {"alice", "linda"}
    assert call(client, "get", f"/api/v1/dispatch/teams/{aftersales_team.pk}/board", lead_linda).status_code == 404
    assert call(client, "get", f"/api/v1/dispatch/teams/{front_team.pk}/board", agent_alice).status_code == 404
    assert call(client, "get", f"/api/v1/dispatch/teams/{aftersales_team.pk}/board", manager_mike).status_code == 200
    agent_alice.capacity = 2
    agent_alice.save(update_fields=["capacity"])
    r = call(client, "post", f"/api/v1/dispatch/teams/{front_team.pk}/drain", lead_linda)
    assert len(r.json()["assigned"]) == 2
    _row, token = api_token_create(user=lead_linda)
    with django_assert_max_num_queries(12):
        client.get(f"/api/v1/dispatch/teams/{front_team.pk}/board", headers={"Authorization": f"Bearer {token}"})
