"""The queue settings page (队列设置): goals, costs, history and work rules, saved through queue_create/queue_update."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kefu.conftest import login
from kefu.core.errors import DomainError
from kefu.tickets.choices import Channel
from kefu.workforce import services
from kefu.workforce.models import Queue


def _post_data(**over) -> dict:
    data = {
        "name": "热线", "team": "", "skill": "", "is_active": "on", "staffing_model": "erlang_c",
        "service_level": "85", "service_time": "20", "asa": "", "abandonment": "", "occupancy": "90",
        "patience": "", "interval_minutes": "30", "default_aht": "240", "shrinkage": "30", "hourly_cost": "45.50",
        "forecast_method": "auto", "calendar": "", "promotion_days": "2025-11-11，2025-06-18", "channels": ["phone"],
        "count_tickets": "on", "shift_hours": "8.5", "shift_earliest_start": "07:00", "shift_latest_start": "14:00",
        "break_minutes": "30", "break_after_hours": "3", "break_before_hours": "5", "days_off": "2",
        "consecutive_days_off": "on", "max_consecutive_days": "6", "min_weekly_hours": "0", "max_weekly_hours": "44",
    }  # fmt: skip
    data.update(over)
    return data


@pytest.fixture
def queue(manager_mike):
    return services.queue_create(actor=manager_mike, name="投诉专线", service_level=0.8, shrinkage=0.3)


def test_anonymous_agent_and_team_lead(client, queue, agent_alice, lead_linda):
    url = f"/workforce/queues/{queue.pk}/settings/"
    assert client.get(url).status_code == 302  # to the login page
    login(client, agent_alice)
    assert client.get(url).status_code == 404
    assert client.get("/workforce/queues/new/").status_code == 404
    assert client.post(url, _post_data()).status_code == 404
    # A team lead may look at the settings but not change them.
    login(client, lead_linda)
    r = client.get(url)
    assert r.status_code == 200 and r.context["can_edit"] is False and b"form-actions" not in r.content
    assert client.post(url, _post_data()).status_code == 404
    assert client.get("/workforce/queues/new/").status_code == 404
    queue.refresh_from_db()
    assert queue.name == "投诉专线"


def test_manager_creates_a_queue_in_percent_units(client, manager_mike, front_team):
    login(client, manager_mike)
    r = client.get("/workforce/queues/new/")
    assert r.status_code == 200
    assert r.context["form"]["service_level"].value() == 80  # the model default 0.8, shown as a percentage
    r = client.post("/workforce/queues/new/", _post_data(team=str(front_team.pk)))
    assert r.status_code == 302
    q = Queue.objects.get(name="热线")
    assert r["Location"] == f"/workforce/queues/{q.pk}/settings/"
    assert (q.service_level, q.occupancy, q.shrinkage, q.abandonment) == (0.85, 0.9, 0.3, None)
    assert q.hourly_cost == Decimal("45.50") and q.team == front_team and q.channels == ["phone"]
    assert q.promotion_days == ["2025-06-18", "2025-11-11"]
    assert q.count_tickets and q.history_due_at is not None  # the clock counts at once
    # The page shows what was saved, in percentages again.
    r = client.get(r["Location"])
    assert r.context["form"]["occupancy"].value() == 90 and "热线".encode() in r.content


def test_form_errors_are_chinese_and_on_their_fields(client, manager_mike, queue):
    login(client, manager_mike)
    url = f"/workforce/queues/{queue.pk}/settings/"
    # Shape: required, numbers, ranges, dates (Django's own messages, in Chinese).
    r = client.post(
        url, _post_data(service_level="", shrinkage="120", default_aht="abc", promotion_days="11月11日")
    )
    assert r.status_code == 422
    errors = r.context["form"].errors
    assert errors["service_level"] == ["这个字段是必填项。"]
    assert errors["shrinkage"] == ["确保该值小于或等于99。"]
    assert errors["default_aht"] == ["输入一个数字。"]
    assert "11月11日" in errors["promotion_days"][0]
    assert b'class="form-errors"' in r.content
    # Rules (the service's, translated): Erlang A needs patience; the shift must fit its break.
    r = client.post(url, _post_data(staffing_model="erlang_a"))
    assert r.status_code == 422
    assert r.context["form"].errors["patience"] == ["Erlang A 模型需要填写来电客户的平均耐心时长（秒）。"]
    r = client.post(url, _post_data(shift_hours="2", break_after_hours="3"))
    assert r.status_code == 422 and list(r.context["form"].errors) == ["shift_hours"]
    r = client.post(url, _post_data(min_weekly_hours="50", max_weekly_hours="40"))
    assert r.status_code == 422 and list(r.context["form"].errors) == ["max_weekly_hours"]
    queue.refresh_from_db()
    assert queue.name == "投诉专线" and queue.staffing_model == "erlang_c"  # nothing saved
    # A name another queue has.
    services.queue_create(actor=manager_mike, name="热线")
    r = client.post(url, _post_data(name="热线"))
    assert r.status_code == 422 and list(r.context["form"].errors) == ["name"]
    # Valid: saved.
    r = client.post(
        url, _post_data(name="投诉专线", staffing_model="erlang_a", patience="300", abandonment="5")
    )
    assert r.status_code == 302
    queue.refresh_from_db()
    assert (queue.staffing_model, queue.patience, queue.abandonment) == ("erlang_a", 300, 0.05)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("service_level", 1.0),
        ("service_time", -1),
        ("service_time", 4000),
        ("asa", 0),
        ("abandonment", 1.0),
        ("occupancy", 0),
        ("shrinkage", 1.0),
        ("interval_minutes", 20),
        ("default_aht", 0),
        ("hourly_cost", Decimal("-1")),
        ("forecast_method", "magic"),
        ("staffing_model", "erlang_x"),
        ("channels", ["fax"]),
        ("promotion_days", ["2025-13-01"]),
        ("days_off", 7),
        ("max_consecutive_days", 0),
        ("max_weekly_hours", 200),
        ("patience", -5),
    ],
)
def test_queue_update_rules(manager_mike, queue, field, value):
    with pytest.raises(DomainError) as e:
        services.queue_update(actor=manager_mike, queue_id=queue.pk, **{field: value})
    assert e.value.code == "invalid_queue" and list(e.value.fields) == [field]
    queue.refresh_from_db()
    assert getattr(queue, field) != value


def test_queue_update_access(queue, lead_linda, agent_alice, manager_mike):
    for user in (lead_linda, agent_alice):
        with pytest.raises(DomainError) as e:
            services.queue_update(actor=user, queue_id=queue.pk, shrinkage=0.2)
        assert e.value.status == 403
    with pytest.raises(DomainError) as e:
        services.queue_update(actor=manager_mike, queue_id=queue.pk, colour="red")
    assert e.value.fields == {"colour": [str(e.value.message)]}
    assert services.queue_update(actor=manager_mike, queue_id=queue.pk, channels=[Channel.CHAT]).channels == [
        "chat"
    ]


def test_api_read_create_and_patch(client, queue, manager_mike, lead_linda, agent_alice, front_team):
    from kefu.accounts.services import api_token_create

    def auth(user):
        return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t')[1]}"}

    boss, lead, alice = auth(manager_mike), auth(lead_linda), auth(agent_alice)
    r = client.get("/api/v1/workforce/queues", **lead)  # a team lead may read
    assert r.status_code == 200 and [q["name"] for q in r.json()] == ["投诉专线"]
    assert r.json()[0]["service_level"] == 0.8 and r.json()[0]["shift_earliest_start"] == "00:00:00"
    assert client.get("/api/v1/workforce/queues", **alice).status_code == 403
    url = f"/api/v1/workforce/queues/{queue.pk}"
    patch = {
        "service_level": 0.9,
        "team_id": front_team.pk,
        "channels": ["phone", "chat"],
        "count_tickets": True,
    }
    r = client.patch(url, patch, content_type="application/json", **lead)
    assert r.status_code == 403 and r.json()["code"] == "workforce_forbidden"
    r = client.patch(url, patch, content_type="application/json", **boss)
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["service_level"], body["team_id"], body["channels"], body["count_tickets"]) == (
        0.9, front_team.pk, ["phone", "chat"], True,
    )  # fmt: skip
    assert body["asa"] is None and body["shrinkage"] == 0.3  # not sent: unchanged
    # Bad input: 4xx with code and message, never a 500.
    for bad, field in [
        ({"service_level": 80}, "service_level"),
        ({"team_id": 999999}, "team_id"),
        ({"calendar_id": 999999}, "calendar_id"),
        ({"hourly_cost": 1e12}, "hourly_cost"),
        ({"shrinkage": None}, "shrinkage"),
        ({"channels": ["fax"]}, "channels"),
        ({"interval_minutes": 7}, "interval_minutes"),
    ]:
        r = client.patch(url, bad, content_type="application/json", **boss)
        assert r.status_code == 400 and r.json()["code"] == "invalid_queue", (bad, r.content)
        assert list(r.json()["fields"]) == [field], r.json()
    r = client.patch(url, {"service_level": "viel"}, content_type="application/json", **boss)
    assert 400 <= r.status_code < 500 and "code" in r.json()
    assert client.get("/api/v1/workforce/queues/999999", **boss).status_code == 404
    r = client.post(
        "/api/v1/workforce/queues",
        {"name": "在线", "interval_minutes": 60},
        content_type="application/json",
        **boss,
    )
    assert r.status_code == 201 and r.json()["interval_minutes"] == 60
    r = client.post("/api/v1/workforce/queues", {"name": "在线"}, content_type="application/json", **boss)
    assert r.status_code == 400 and r.json()["code"] == "invalid_queue"


@pytest.mark.parametrize(
    "url",
    [
        "/workforce/",
        "/workforce/me/",
        "/workforce/leave/",
        "/workforce/leave/inbox/",
        "/workforce/queues/new/",
    ],
)
def test_every_page_sends_the_anonymous_to_log_in(client, url):
    # Without login_required the anonymous reached the selectors and services as AnonymousUser.
    for response in (client.get(url), client.post(url, {"reason": "x"})):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
