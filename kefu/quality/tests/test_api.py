from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.quality import sampling
from kefu.quality.models import Inspection
from kefu.quality.tests.conftest import closed_ticket


def call(client: Client, method: str, url: str, user: User | None, body: Any = None) -> Any:
    headers = {}
    if user is not None:
        _row, token = api_token_create(user=user, name="t")
        headers["Authorization"] = f"Bearer {token}"
    fn = getattr(client, method)
    if body is None:
        return fn(url, headers=headers)
    return fn(url, data=json.dumps(body), content_type="application/json", headers=headers)


def test_api_walk_and_bad_input(client, card, manager_mike, agent_alice, lead_linda, qa_quinn, qa_lead_lucy):
    v, a, f = card
    closed_ticket(agent_alice)
    plan = sampling.plan_save(actor=manager_mike, name="月度", scorecard_id=v.scorecard_id, blind_share="0",
                              recheck_share="0", inspector_ids=[qa_quinn.pk])
    assert call(client, "get", "/api/v1/quality/plans", None).status_code == 401
    r = call(client, "get", "/api/v1/quality/scorecards", qa_quinn)
    assert r.status_code == 200 and r.json()[0]["name"] == "热线"
    r = call(client, "get", f"/api/v1/quality/scorecards/{v.scorecard_id}", qa_quinn)
    assert [i["name"] for i in r.json()["items"]] == ["礼貌用语", "泄露客户信息"]
    today = timezone.localdate()
    r = call(client, "post", f"/api/v1/quality/plans/{plan.pk}/draw", manager_mike,
             {"start": str(today - timedelta(days=1)), "end": str(today)})
    assert r.status_code == 200 and r.json()["drawn"] == 1
    assert call(client, "post", f"/api/v1/quality/plans/{plan.pk}/draw", qa_quinn, {}).status_code == 403
    insp = Inspection.objects.get()
    url = f"/api/v1/quality/inspections/{insp.pk}"
    assert call(client, "get", url, qa_quinn).json()["turns"][0]["text"] == "我的宽带坏了"
    r = call(client, "post", url + "/score", qa_quinn, {"scores": {"999999": 1}})
    assert r.status_code == 400 and r.json()["code"] == "scorecard_unknown_item"
    r = call(client, "post", url + "/score", qa_quinn, {"scores": {str(a.pk): 101}})
    assert r.status_code == 400 and r.json()["code"] == "score_out_of_range"
    r = call(client, "post", url + "/submit", qa_quinn, {"scores": {str(a.pk): 50}})
    assert r.status_code == 400 and r.json()["code"] == "score_missing"
    r = call(client, "post", url + "/submit", qa_quinn, {"scores": {str(a.pk): 50, str(f.pk): 1}})
    assert r.status_code == 200 and r.json()["passed"] is False
    r = call(client, "post", url + "/score", qa_quinn, {"scores": {str(a.pk): 90}})
    assert r.status_code == 409 and r.json()["code"] == "inspection_already_submitted"
    # the agent sees it, without who inspected
    r = call(client, "get", "/api/v1/quality/inspections", agent_alice)
    assert [row["id"] for row in r.json()] == [insp.pk] and r.json()[0]["inspector_id"] is None
    r = call(client, "get", "/api/v1/quality/results", agent_alice)
    assert r.json()["inspected"] == 1 and r.json()["pass_rate"] == 0.0
    r = call(client, "post", "/api/v1/quality/appeals", agent_alice, {"inspection_id": insp.pk, "reason": "客户挂断"})
    assert r.status_code == 201
    appeal_id = r.json()["id"]
    dec = f"/api/v1/quality/appeals/{appeal_id}/decide"
    assert call(client, "post", dec, lead_linda, {"decision": "uphold"}).json()["code"] == "appeal_wrong_step"
    assert call(client, "post", dec, lead_linda, {"decision": "forward"}).json()["state"] == "qa"
    r = call(client, "post", dec, qa_lead_lucy, {"decision": "uphold", "scores": {str(a.pk): 95, str(f.pk): 1}})
    assert r.json()["state"] == "upheld" and r.json()["result_passed"] is True
    assert call(client, "get", "/api/v1/quality/results", agent_alice).json()["pass_rate"] == 100.0


def test_appeal_after_deadline_via_api(client, card, agent_alice, qa_quinn):
    v, a, f = card
    from kefu.quality import services

    t = closed_ticket(agent_alice)
    item = services.item_capture_ticket(ticket_id=t.pk)
    insp = services.inspection_submit(actor=qa_quinn, item_id=item.pk, scores={str(a.pk): 10, str(f.pk): 1})
    Inspection.objects.filter(pk=insp.pk).update(submitted_at=timezone.now() - timedelta(days=30))
    r = call(client, "post", "/api/v1/quality/appeals", agent_alice, {"inspection_id": insp.pk, "reason": "晚了"})
    assert r.status_code == 400 and r.json()["code"] == "appeal_after_deadline"


def test_prescreen_endpoint(client, qa_quinn, agent_alice):
    body = {"turns": [{"speaker": "customer", "text": "我要投诉"}, {"speaker": "agent", "text": "滚，保证退款"}]}
    r = call(client, "post", "/api/v1/quality/prescreen", qa_quinn, body)
    assert r.status_code == 200
    assert {f["rule"] for f in r.json()["findings"]} >= {"abuse", "promise"}
    assert all("turn" in f and "evidence" in f for f in r.json()["findings"])
    assert call(client, "post", "/api/v1/quality/prescreen", agent_alice, body).status_code == 403
    assert call(client, "post", "/api/v1/quality/prescreen", qa_quinn, {"turns": [{"speaker": "x", "text": ""}]}).status_code == 422
