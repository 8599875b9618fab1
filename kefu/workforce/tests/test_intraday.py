from __future__ import annotations

from datetime import timedelta

import time_machine

from kefu.accounts.services import api_token_create
from kefu.conftest import login
from kefu.workforce import planning, services
from kefu.workforce.models import IntervalVolume
from kefu.workforce.tests.test_services_api import WEEK, _fill, queue  # noqa: F401 (fixture)


def _published_day(queue, manager_mike):  # noqa: F811
    _fill(queue)
    fc = services.forecast_create(actor=manager_mike, queue_id=queue.pk, week_start=WEEK)
    schedule = services.schedule_create(actor=manager_mike, forecast_id=fc.pk, time_limit=5)
    services.schedule_publish(actor=manager_mike, schedule_id=schedule.pk)
    wed = planning.local_midnight(WEEK + timedelta(days=2))
    # The morning runs at twice the forecast: the rest of the day is re-forecast up and a gap opens.
    IntervalVolume.objects.bulk_create(
        IntervalVolume(queue=queue, start=wed + timedelta(hours=h), calls=60.0, handle_seconds=60 * 240)
        for h in range(9, 12)
    )
    return wed


def test_intraday_page_and_api(client, queue, manager_mike, agent_alice, teammate_bob, lead_linda):  # noqa: F811
    wed = _published_day(queue, manager_mike)
    with time_machine.travel(wed + timedelta(hours=12, minutes=10), tick=False):
        token = api_token_create(user=manager_mike, name="t")[1]
        r = client.get(f"/api/v1/workforce/queues/{queue.pk}/intraday", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["now_slot"] == 12 and body["ratio"] > 1.5
        assert body["actual"][9] == 60.0 and body["reforecast"][14] > body["forecast"][14]
        assert all(g == 0 for g in body["gap"][:12]) and max(body["gap"][12:]) > 0
        for p in body["proposals"]:
            assert p["covers"] > 0 and p["start"] < p["end"]
        login(client, manager_mike)
        page = client.get(f"/workforce/queues/{queue.pk}/intraday/")
        assert page.status_code == 200
        html = page.content.decode()
        assert 'data-wf-chart="' in html and "intraday-standby" in html
        # Agents are not planners: 404 on the page, 403 from the API.
        login(client, agent_alice)
        assert client.get(f"/workforce/queues/{queue.pk}/intraday/").status_code == 404
        alice = api_token_create(user=agent_alice, name="a")[1]
        r = client.get(f"/api/v1/workforce/queues/{queue.pk}/intraday", HTTP_AUTHORIZATION=f"Bearer {alice}")
        assert r.status_code == 403 and r.json()["code"]
        r = client.get("/api/v1/workforce/queues/999999/intraday", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert r.status_code in (403, 404)


def test_intraday_without_forecast_is_a_clear_error(client, queue, manager_mike):  # noqa: F811
    token = api_token_create(user=manager_mike, name="t")[1]
    r = client.get(f"/api/v1/workforce/queues/{queue.pk}/intraday", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 400 and r.json()["code"] == "no_forecast"
    login(client, manager_mike)
    r = client.get(f"/workforce/queues/{queue.pk}/intraday/")
    assert r.status_code == 302
