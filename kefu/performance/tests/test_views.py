from __future__ import annotations

import pytest

from kefu.conftest import login
from kefu.performance.models import ScorecardMonth, ScorecardPlan
from kefu.performance.tests.conftest import at

pytestmark = pytest.mark.django_db


def test_pages_render_for_each_role(world, client, manager_mike, lead_linda, agent_alice):
    for user, pages in (
        (manager_mike, ["/performance/dashboard/", "/performance/team/", "/performance/table/?period=2026-10&group=agent",
                        "/performance/scorecard/?month=2026-10", "/performance/dashboard/trend.csv?kind=week",
                        "/performance/drill/?metric=fcr&period=2026-10&group=all&key=__total__"]),
        (lead_linda, ["/performance/dashboard/", "/performance/team/", "/performance/scorecard/?month=2026-10"]),
        (agent_alice, ["/performance/dashboard/", "/performance/scorecard/?month=2026-10", "/performance/table/"]),
    ):
        c = login(client, user)
        with at("2026-11-03 09:00"):
            for page in pages:
                r = c.get(page)
                assert r.status_code == 200, (user, page)


def test_drill_lists_the_tickets_and_bad_input_is_a_message(world, client, manager_mike):
    c = login(client, manager_mike)
    with at("2026-11-03 09:00"):
        r = c.get(f"/performance/drill/?metric=fcr&period=2026-10&group=agent&key={world.alice.pk}")
        body = r.content.decode()
        for name in "ABE":
            assert world.tickets[name].number in body
        assert world.tickets["C"].number not in body
        r = c.get("/performance/drill/?metric=nope&period=2026-10", follow=True)
        assert r.status_code == 200 and "未知指标" in r.content.decode()
        r = c.get("/performance/table/?period=2026-99", follow=True)
        assert r.status_code == 200


def test_agent_table_shows_only_self(world, client, agent_alice):
    c = login(client, agent_alice)
    with at("2026-11-03 09:00"):
        body = c.get("/performance/table/?period=2026-10&group=agent").content.decode()
    assert "艾丽丝" in body and "鲍勃" not in body


def test_lock_from_the_page(world, client, manager_mike, agent_alice):
    plan = ScorecardPlan.objects.get()
    with at("2026-11-03 09:00"):
        login(client, agent_alice).post(f"/performance/scorecard/{plan.pk}/lock/", {"month": "2026-10"})
        assert not ScorecardMonth.objects.exists()
        login(client, manager_mike).post(f"/performance/scorecard/{plan.pk}/lock/", {"month": "2026-10"})
        assert ScorecardMonth.objects.filter(month="2026-10").exists()
        body = client.get("/performance/scorecard/?month=2026-10").content.decode()
    assert "scorecard-locked" in body
