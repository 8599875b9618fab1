from __future__ import annotations

import pytest
from django.test import Client

from kefu.accounts.services import api_token_create
from kefu.performance.models import ScorecardPlan
from kefu.performance.tests.conftest import at

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    token = api_token_create(user=user, name="t")[1]
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_metrics_filters_and_visibility(world, manager_mike, agent_alice, lead_linda):
    with at("2026-11-03 09:00"):
        r = _client(manager_mike).get("/api/v1/performance/metrics", {"metrics": "fcr,contacts_handled", "period": "2026-10", "group": "agent"})
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["total"]["values"] == {"fcr": 66.7, "contacts_handled": 6}
        assert len(body["rows"]) == 3
        mine = _client(agent_alice).get("/api/v1/performance/metrics", {"metrics": "fcr", "period": "2026-10", "group": "agent"}).json()
        assert [row["key"] for row in mine["rows"]] == [str(agent_alice.pk)]
        team = _client(lead_linda).get("/api/v1/performance/metrics", {"metrics": "contacts_handled", "period": "2026-10", "group": "agent"}).json()
        assert {row["key"] for row in team["rows"]} == {str(world.alice.pk), str(world.bob.pk)}
        ranged = _client(manager_mike).get(
            "/api/v1/performance/metrics", {"metrics": "contacts_handled", "start": "2026-10-12", "end": "2026-10-12"}
        ).json()
        assert ranged["total"]["values"]["contacts_handled"] == 2  # C and D


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"metrics": "nope"}, "unknown_metric"),
        ({"period": "2026-13"}, "bad_period"),
        ({"period": "last week"}, "bad_period"),
        ({"start": "2026-10-05", "end": "2026-10-01"}, "range_reversed"),
        ({"group": "planet"}, "unknown_group"),
    ],
)
def test_bad_input_is_a_400_with_a_code(world, manager_mike, params, code):
    r = _client(manager_mike).get("/api/v1/performance/metrics", params)
    assert r.status_code == 400 and r.json()["code"] == code


def test_scorecard_drill_and_dashboard(world, manager_mike, agent_alice):
    plan = ScorecardPlan.objects.get()
    with at("2026-11-03 09:00"):
        r = _client(manager_mike).get(f"/api/v1/performance/scorecard/plans/{plan.pk}", {"month": "2026-10"})
        assert r.status_code == 200
        assert len(r.json()["results"]) == 3 and len(r.json()["indicators"]) == 12
        r = _client(agent_alice).get(f"/api/v1/performance/scorecard/plans/{plan.pk}", {"month": "2026-10"})
        assert [x["agent_id"] for x in r.json()["results"]] == [agent_alice.pk]
        r = _client(manager_mike).get("/api/v1/performance/drill", {"metric": "complaint_rate", "period": "2026-10"})
        assert [x["number"] for x in r.json()] == [world.tickets["F"].number]
        r = _client(manager_mike).get("/api/v1/performance/dashboard")
        assert r.status_code == 200 and len(r.json()["months"]["periods"]) == 13
