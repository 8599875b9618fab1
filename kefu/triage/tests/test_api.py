from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.tests.factories import TicketFactory
from kefu.triage.choices import Field
from kefu.triage.models import TriageSuggestion
from kefu.triage.tests.conftest import on_commit

pytestmark = pytest.mark.django_db


def call(client: Client, method: str, url: str, user: User | None, body: Any = None) -> Any:
    headers = {}
    if user is not None:
        _row, token = api_token_create(user=user, name="t")
        headers["Authorization"] = f"Bearer {token}"
    if method == "get":
        return client.get(url, headers=headers)
    return client.post(url, data=body or {}, content_type="application/json", headers=headers)


def test_predict_for_a_text(client, trained, agent_alice, categories) -> None:
    r = call(client, "post", "/api/v1/dispatch/triage/", agent_alice, {"title": "光猫红灯闪烁", "description": "宽带无法上网"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["version"] == 1
    cat = next(f for f in body["fields"] if f["field"] == "category")
    assert cat["value"] == str(categories["宽带"].pk) and cat["label"] == "宽带" and 0 < cat["confidence"] <= 1
    assert cat["reasons"]


def test_bad_input_is_a_clear_422(client, trained, agent_alice) -> None:
    empty = call(client, "post", "/api/v1/dispatch/triage/", agent_alice, {"title": "  "})
    assert empty.status_code == 422 and empty.json()["code"] == "triage_empty_text"
    long = call(client, "post", "/api/v1/dispatch/triage/", agent_alice, {"title": "退款", "description": "长" * 5001})
    assert long.status_code == 422 and "description" in long.json()["fields"]
    assert call(client, "post", "/api/v1/dispatch/triage/", agent_alice, {"title": "退款", "channel": "fax"}).status_code == 422
    assert call(client, "post", "/api/v1/dispatch/triage/", None, {"title": "退款"}).status_code == 401


def test_no_model_yet(client, agent_alice) -> None:
    r = call(client, "post", "/api/v1/dispatch/triage/", agent_alice, {"title": "退款"})
    assert r.status_code == 409 and r.json()["code"] == "triage_no_model"
    assert call(client, "get", "/api/v1/dispatch/triage/model", agent_alice).status_code == 403


def test_the_model_with_its_scores(client, trained, lead_linda) -> None:
    body = call(client, "get", "/api/v1/dispatch/triage/model", lead_linda).json()
    assert body["version"] == 1 and body["previous_score"] is None
    assert set(body["fields"]) == {"category", "priority", "complaint", "team"}
    assert body["fields"]["category"]["confusion"]["labels"]


def test_a_tickets_suggestions_accept_and_dismiss(client, trained, agent_alice, outsider_charlie) -> None:
    with on_commit():
        ticket = TicketFactory(actor=agent_alice, title="话费扣款不对", description="服务太差要投诉曝光")
    rows = call(client, "get", f"/api/v1/dispatch/triage/tickets/{ticket.number}", agent_alice).json()
    assert {r["field"] for r in rows} >= {"category", "team"}
    cat = TriageSuggestion.objects.get(ticket=ticket, field=Field.CATEGORY)
    assert call(client, "post", f"/api/v1/dispatch/triage/suggestions/{cat.pk}/accept", outsider_charlie).status_code == 404
    r = call(client, "post", f"/api/v1/dispatch/triage/suggestions/{cat.pk}/accept", agent_alice)
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    again = call(client, "post", f"/api/v1/dispatch/triage/suggestions/{cat.pk}/dismiss", agent_alice)
    assert again.status_code == 400 and again.json()["code"] == "triage_not_pending"
    assert call(client, "get", "/api/v1/dispatch/triage/tickets/GD0", agent_alice).status_code == 404
