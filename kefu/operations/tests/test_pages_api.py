"""Pages and the API: access, the happy path, and 4xx JSON for bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.conftest import login
from kefu.operations import services
from kefu.operations.models import Incident, IncidentNotice

pytestmark = pytest.mark.django_db


def call(client: Client, method: str, url: str, user: User | None, body: Any = None) -> Any:
    headers = {}
    if user is not None:
        _row, token = api_token_create(user=user, name="t")
        headers["Authorization"] = f"Bearer {token}"
    fn = getattr(client, method)
    if body is None:
        return fn(url, headers=headers)
    return fn(url, data=json.dumps(body), content_type="application/json", headers=headers)


def test_pages_need_a_login(client, plan) -> None:
    for url in ["/operations/", f"/operations/plans/{plan.pk}/", "/operations/incidents/summary/"]:
        assert client.get(url).status_code == 302


def test_a_lead_activates_from_the_plan_page_and_the_agent_acknowledges(client, plan, lead_linda, agent_alice) -> None:
    login(client, lead_linda)
    page = client.get(f"/operations/plans/{plan.pk}/")
    assert page.status_code == 200 and "确认影响范围" in page.content.decode()
    r = client.post(f"/operations/plans/{plan.pk}/activate/", {"level": "1", "title": "工单系统宕机"})
    incident = Incident.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/operations/incidents/{incident.pk}/"

    login(client, agent_alice)
    index = client.get("/operations/").content.decode()
    assert "工单系统宕机" in index and f"/operations/incidents/{incident.pk}/" in index
    assert client.post(f"/operations/incidents/{incident.pk}/ack/").status_code == 302
    assert IncidentNotice.objects.get(incident=incident, user=agent_alice).acknowledged_at is not None
    step = incident.steps.first()
    assert step is not None
    client.post(f"/operations/incidents/{incident.pk}/step/", {"step": str(step.pk)})
    client.post(f"/operations/incidents/{incident.pk}/message/", {"text": "已启用纸质受理单"})
    page = client.get(f"/operations/incidents/{incident.pk}/").content.decode()
    assert "已启用纸质受理单" in page and "1/2" in page
    # An agent cannot close it: the page says so, nothing changes.
    client.post(f"/operations/incidents/{incident.pk}/close/")
    incident.refresh_from_db()
    assert incident.status == "active"
    assert client.post(f"/operations/incidents/{incident.pk}/nope/").status_code == 404
    assert client.post(f"/operations/incidents/{incident.pk}/step/", {"step": "x"}).status_code == 404


def test_agents_cannot_activate_from_the_page(client, plan, agent_alice) -> None:
    login(client, agent_alice)
    client.post(f"/operations/plans/{plan.pk}/activate/", {"level": "1"})
    assert not Incident.objects.exists()


def test_review_form_errors_are_422_in_chinese_shape(client, plan, lead_linda, manager_mike) -> None:
    incident = services.incident_activate(actor=lead_linda, plan_id=plan.pk, level=1)
    services.incident_close(actor=lead_linda, incident_id=incident.pk)
    login(client, manager_mike)
    r = client.post(f"/operations/incidents/{incident.pk}/review/", {"key_points": "要点", "actions": "只有一段"})
    assert r.status_code == 422 and b"errorlist" in r.content
    r = client.post(
        f"/operations/incidents/{incident.pk}/review/",
        {"key_points": "要点", "actions": f"补充备品 | {manager_mike.username} | 2027-01-15"},
    )
    assert r.status_code == 302
    assert incident.review.actions.get().owner == manager_mike  # type: ignore[attr-defined]
    assert client.get("/operations/incidents/summary/?month=2026-13").status_code == 200


def test_api_plans_activate_acknowledge_and_bad_input(client, plan, manager_mike, lead_linda, agent_alice) -> None:
    r = call(client, "get", "/api/v1/operations/plans", agent_alice)
    assert r.status_code == 200 and r.json()[0]["name"] == "系统故障应急预案"
    r = call(client, "post", "/api/v1/operations/plans", agent_alice, {"name": "x", "kind": "other"})
    assert r.status_code == 403 and r.json()["code"] == "operations_forbidden"
    r = call(client, "post", "/api/v1/operations/plans", manager_mike, {"name": "x", "kind": "other", "levels": [{"level": 7}]})
    assert r.status_code == 422 and "level" in json.dumps(r.json())
    r = call(client, "post", "/api/v1/operations/plans", manager_mike, {
        "name": "高峰应急预案", "kind": "peak_overload",
        "levels": [{"level": 1, "steps": ["调用备岗"], "roles": [{"user": lead_linda.pk, "duty": "decides"}]}],
    })  # fmt: skip
    assert r.status_code == 201 and r.json()["levels"][0]["roles"][0]["user_id"] == lead_linda.pk

    r = call(client, "post", f"/api/v1/operations/plans/{plan.pk}/activate", lead_linda, {"level": 1, "is_drill": True})
    assert r.status_code == 201
    body = r.json()
    assert body["is_drill"] and len(body["notices"]) == 2 and body["timeline"][0]["kind"] == "activated"
    iid = body["id"]
    r = call(client, "post", f"/api/v1/operations/incidents/{iid}/acknowledge", agent_alice)
    assert r.status_code == 200
    assert [n["acknowledged_at"] is not None for n in r.json()["notices"] if n["user_id"] == agent_alice.pk] == [True]
    r = call(client, "post", f"/api/v1/operations/incidents/{iid}/level", lead_linda, {"level": 0})
    assert r.status_code == 422
    r = call(client, "post", f"/api/v1/operations/incidents/{iid}/review", lead_linda, {"key_points": "x"})
    assert r.status_code == 409 and r.json()["code"] == "incident_still_active"
    r = call(client, "get", "/api/v1/operations/incidents/999999", agent_alice)
    assert r.status_code == 404
    r = call(client, "get", "/api/v1/operations/incidents/summary", agent_alice)
    assert r.status_code == 200 and r.json()[0]["drills"] == 1
    assert call(client, "get", "/api/v1/operations/plans", None).status_code == 401
