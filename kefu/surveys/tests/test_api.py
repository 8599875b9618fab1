from __future__ import annotations

import json
from typing import Any

from django.test import Client

from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.surveys.access import survey_token
from kefu.surveys.models import Callback, DissatisfiedCase
from kefu.surveys.services import survey_answer
from kefu.tests.factories import TicketFactory


def call(client: Client, method: str, url: str, user: User | None, body: Any = None) -> Any:
    headers = {}
    if user is not None:
        _row, token = api_token_create(user=user, name="t")
        headers["Authorization"] = f"Bearer {token}"
    fn = getattr(client, method)
    if body is None:
        return fn(url, headers=headers)
    return fn(url, data=json.dumps(body), content_type="application/json", headers=headers)


def test_anonymous_refused(client):
    assert call(client, "get", "/api/v1/surveys/callbacks", None).status_code == 401


def test_callback_queue_and_result(client, sent_survey, lead_linda, outsider_charlie, django_assert_max_num_queries):
    survey_answer(token=survey_token(sent_survey), csat=1, comment="不满意")
    cb = Callback.objects.get()
    r = call(client, "get", "/api/v1/surveys/callbacks", lead_linda)
    assert r.status_code == 200 and r.json()[0]["id"] == cb.pk and r.json()[0]["survey_csat"] == 1
    bad = call(client, "post", f"/api/v1/surveys/callbacks/{cb.pk}/result", lead_linda, {"outcome": "reached"})
    assert bad.status_code == 400 and bad.json()["code"] == "callback_invalid_result" and "repaired" in bad.json()["fields"]
    invalid = call(client, "post", f"/api/v1/surveys/callbacks/{cb.pk}/result", lead_linda, {"outcome": "maybe"})
    assert invalid.status_code == 422
    hidden = call(client, "post", f"/api/v1/surveys/callbacks/{cb.pk}/result", outsider_charlie, {"outcome": "not_reached"})
    assert hidden.status_code == 404
    ok = call(client, "post", f"/api/v1/surveys/callbacks/{cb.pk}/result", lead_linda, {"outcome": "reached", "repaired": False, "notes": "仍不满意"})
    assert ok.status_code == 200 and ok.json()["status"] == "done"
    again = call(client, "post", f"/api/v1/surveys/callbacks/{cb.pk}/result", lead_linda, {"outcome": "reached", "repaired": True})
    assert again.status_code == 409


def test_plan_schedule(client, agent_alice, customer_wang):
    t = TicketFactory(actor=agent_alice, customer=customer_wang)
    r = call(client, "post", "/api/v1/surveys/plans/major_overhaul/schedule", agent_alice, {"ticket": t.number})
    assert r.status_code == 201 and len(r.json()) == 3
    assert call(client, "post", "/api/v1/surveys/plans/nope/schedule", agent_alice, {"ticket": t.number}).status_code == 404
    assert call(client, "post", "/api/v1/surveys/plans/minor_repair/schedule", agent_alice, {"ticket": "X"}).status_code == 404


def test_metrics_archive_and_ticket_surveys(client, sent_survey, manager_mike, lead_linda, outsider_charlie):
    survey_answer(token=survey_token(sent_survey), csat=2)
    r = call(client, "get", "/api/v1/surveys/metrics?group=team&start=2020-01-01&end=2099-12-31", manager_mike)
    assert r.status_code == 200 and r.json()[0]["csat"] == 0.0 and r.json()[0]["low_scores"] == 1
    assert call(client, "get", "/api/v1/surveys/metrics?group=x&start=2020-01-01&end=2099-12-31", manager_mike).status_code == 422
    assert call(client, "get", "/api/v1/surveys/metrics?start=2021-01-01&end=2020-12-31", manager_mike).status_code == 400
    cases = call(client, "get", "/api/v1/surveys/archive", lead_linda).json()
    case_id = cases[0]["id"]
    care = call(client, "post", f"/api/v1/surveys/archive/{case_id}/care", lead_linda, {"kind": "compensation", "amount": "50.00"})
    assert care.status_code == 201
    assert call(client, "post", f"/api/v1/surveys/care/{care.json()['id']}/done", lead_linda, {}).json()["status"] == "done"
    assert call(client, "post", f"/api/v1/surveys/archive/{case_id}/close", lead_linda, {}).status_code == 403
    assert call(client, "post", f"/api/v1/surveys/archive/{case_id}/close", manager_mike, {"note": "ok"}).json()["status"] == "closed"
    assert DissatisfiedCase.objects.get().status == "closed"
    number = sent_survey.ticket.number
    assert call(client, "get", f"/api/v1/surveys/tickets/{number}", manager_mike).json()[0]["csat"] == 2
    assert call(client, "get", f"/api/v1/surveys/tickets/{number}", outsider_charlie).status_code == 404
