from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kefu.accounts.services import api_token_create
from kefu.conftest import login
from kefu.core.errors import DomainError
from kefu.workforce import planning, selectors, services
from kefu.workforce.choices import ImportStatus, LeaveStatus, ScheduleStatus
from kefu.workforce.models import IntervalVolume, Queue

WEEK = date(2025, 3, 3)  # a Monday


@pytest.fixture
def queue(manager_mike, front_team):
    return services.queue_create(
        actor=manager_mike, name="热线", team=front_team, interval_minutes=60, shift_hours=8, break_minutes=0,
        shift_earliest_start="06:00", shift_latest_start="14:00", default_aht=240,
    )  # fmt: skip


def _fill(queue: Queue, weeks: int = 6) -> None:
    rows = []
    start = planning.local_midnight(WEEK - timedelta(days=7 * weeks))
    for h in range(7 * 24 * weeks):
        t = start + timedelta(hours=h)
        local_hour = t.astimezone(planning.tz()).hour
        calls = 30.0 if 9 <= local_hour < 18 else 0.0
        rows.append(IntervalVolume(queue=queue, start=t, calls=calls, handle_seconds=calls * 240))
    IntervalVolume.objects.bulk_create(rows)


def test_queue_validation(manager_mike, agent_alice):
    with pytest.raises(DomainError) as e:
        services.queue_create(actor=manager_mike, name="x", service_level=80)
    assert e.value.fields == {"service_level": [str(e.value.message)]}
    with pytest.raises(DomainError) as e:
        services.queue_create(actor=agent_alice, name="x")
    assert e.value.status == 403


def test_forecast_schedule_publish_flow(queue, manager_mike, agent_alice, teammate_bob, lead_linda):
    _fill(queue)
    with pytest.raises(DomainError) as e:
        services.forecast_create(actor=manager_mike, queue_id=queue.pk, week_start=WEEK + timedelta(days=1))
    assert e.value.code == "week_must_start_monday"
    fc = services.forecast_create(actor=manager_mike, queue_id=queue.pk, week_start=WEEK)
    assert len(fc.calls) == 7 * 24 and fc.method in {"baseline", "profile"}
    assert fc.heads[10] > fc.agents[10] > 0 and fc.heads[3] == 0
    schedule = services.schedule_create(actor=manager_mike, forecast_id=fc.pk, time_limit=5)
    assert schedule.status == ScheduleStatus.DRAFT and schedule.lp_bound_hours <= schedule.objective_hours
    cov = selectors.coverage_of(schedule)
    assert (cov.reshape(-1) >= fc.heads).all()
    assigned = set(schedule.shifts.exclude(agent=None).values_list("agent_id", flat=True))
    assert assigned <= {agent_alice.pk, teammate_bob.pk, lead_linda.pk} and assigned
    services.schedule_publish(actor=manager_mike, schedule_id=schedule.pk)
    with pytest.raises(DomainError) as e:
        services.schedule_publish(actor=manager_mike, schedule_id=schedule.pk)
    assert e.value.code == "schedule_already_published"
    # Approved leave removes the agent from the intervals and leaves a hole in the coverage.
    shift = schedule.shifts.exclude(agent=None).first()
    leave = services.leave_request_create(
        actor=shift.agent, start=shift.start, end=shift.start + timedelta(hours=3), reason="看病"
    )
    services.leave_decide(
        actor=lead_linda if shift.agent != lead_linda else manager_mike, leave_id=leave.pk, approve=True
    )
    after = selectors.coverage_of(schedule)
    assert after.sum() == cov.sum() - 3
    mine = selectors.my_shifts(user=shift.agent, start=WEEK, days=7)
    assert any(s.on_leave for s in mine)
    w = selectors.what_if(
        user=manager_mike, forecast_id=fc.pk, service_level=0.95, service_time=10, shrinkage=0.4
    )
    assert w.paid_hours > sum(fc.heads)
    with pytest.raises(DomainError):
        selectors.what_if(
            user=manager_mike, forecast_id=fc.pk, service_level=95, service_time=10, shrinkage=0.4
        )
    day = selectors.intraday(
        user=manager_mike, queue_id=queue.pk, now=planning.local_midnight(WEEK) + timedelta(hours=12)
    )
    assert day.now_slot == 12 and len(day.gap) == 24


def test_leave_approval_rules(agent_alice, outsider_charlie, lead_linda, manager_mike):
    t0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
    short = services.leave_request_create(
        actor=agent_alice, start=t0, end=t0 + timedelta(hours=4), reason="事假"
    )
    with pytest.raises(DomainError) as e:
        services.leave_request_create(
            actor=agent_alice, start=t0 + timedelta(hours=1), end=t0 + timedelta(hours=2), reason="x"
        )
    assert e.value.code == "leave_overlap"
    with pytest.raises(DomainError):
        services.leave_request_create(actor=agent_alice, start=t0, end=t0, reason="x")
    long = services.leave_request_create(
        actor=agent_alice, start=t0 + timedelta(days=1), end=t0 + timedelta(days=2), reason="年假"
    )
    with pytest.raises(DomainError) as e:
        services.leave_decide(actor=agent_alice, leave_id=short.pk, approve=True)
    assert e.value.status == 404
    with pytest.raises(DomainError) as e:
        services.leave_decide(actor=lead_linda, leave_id=long.pk, approve=True)
    assert e.value.code == "leave_needs_manager"
    assert (
        services.leave_decide(actor=lead_linda, leave_id=short.pk, approve=True).status
        == LeaveStatus.APPROVED
    )
    with pytest.raises(DomainError) as e:
        services.leave_decide(actor=lead_linda, leave_id=short.pk, approve=False)
    assert e.value.code == "leave_not_pending"
    assert (
        services.leave_decide(actor=manager_mike, leave_id=long.pk, approve=False).status
        == LeaveStatus.REJECTED
    )
    other = services.leave_request_create(
        actor=outsider_charlie, start=t0, end=t0 + timedelta(hours=2), reason="x"
    )
    with pytest.raises(DomainError):
        services.leave_decide(actor=lead_linda, leave_id=other.pk, approve=True)  # not her team
    assert services.leave_cancel(actor=outsider_charlie, leave_id=other.pk).status == LeaveStatus.CANCELLED


def test_import_counts_and_calls_with_errors(queue, manager_mike, django_capture_on_commit_callbacks):
    text = (
        "start,calls,aht\n2025-03-03 09:00,12,200\n2025-03-03 09:30,3,100\nbad,1,1\n2025-03-03 10:00,-1,5\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = services.history_import_create(
            actor=manager_mike, queue_id=queue.pk, kind="counts", filename="a.csv", content=text.encode()
        )
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.imported_rows == 1 and job.error_count == 2
    assert [e["line"] for e in job.errors] == [4, 5]
    row = IntervalVolume.objects.get(queue=queue)
    assert row.calls == 15 and row.handle_seconds == 12 * 200 + 3 * 100
    calls = "arrived_at,handle_seconds\n2025-03-03 11:05,100\n2025-03-03 11:55,300\n"
    with django_capture_on_commit_callbacks(execute=True):
        job = services.history_import_create(
            actor=manager_mike, queue_id=queue.pk, kind="calls", filename="b.csv", content=calls
        )
    assert IntervalVolume.objects.get(queue=queue, start__hour=11).calls == 2
    with django_capture_on_commit_callbacks(execute=True):
        job = services.history_import_create(
            actor=manager_mike, queue_id=queue.pk, kind="counts", filename="c.csv", content="x,y\n1,2\n"
        )
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "calls" in job.errors[0]["message"]


def test_api(client, queue, manager_mike, agent_alice):
    _fill(queue)
    token = api_token_create(user=manager_mike, name="t")[1]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    r = client.post(
        "/api/v1/workforce/forecasts",
        {"queue_id": queue.pk, "week_start": "2025-03-04"},
        content_type="application/json",
        **headers,
    )
    assert r.status_code == 400 and r.json()["code"] == "week_must_start_monday"
    r = client.post(
        "/api/v1/workforce/forecasts",
        {"queue_id": queue.pk, "week_start": "2025-03-03"},
        content_type="application/json",
        **headers,
    )
    assert r.status_code == 201
    fid = r.json()["id"]
    r = client.get(f"/api/v1/workforce/forecasts/{fid}/requirements", **headers)
    assert r.status_code == 200 and len(r.json()["heads"]) == 168
    r = client.post(
        "/api/v1/workforce/schedules",
        {"forecast_id": fid, "time_limit": 5},
        content_type="application/json",
        **headers,
    )
    assert r.status_code == 201
    sid = r.json()["id"]
    r = client.get(f"/api/v1/workforce/schedules/{sid}", **headers)
    assert r.status_code == 200 and r.json()["shifts"] and len(r.json()["coverage"]) == 168
    r = client.post(f"/api/v1/workforce/schedules/{sid}/publish", **headers)
    assert r.json()["status"] == "published"
    alice = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=agent_alice, name='a')[1]}"}
    assert client.get(f"/api/v1/workforce/schedules/{sid}", **alice).status_code == 403
    login(client, manager_mike)
    r = client.get(f"/workforce/schedules/{sid}/export.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    for url in [
        "/workforce/",
        f"/workforce/forecasts/{fid}/",
        f"/workforce/schedules/{sid}/",
        "/workforce/leave/inbox/",
    ]:
        assert client.get(url).status_code == 200, url
    r = client.get(
        f"/workforce/forecasts/{fid}/?service_level=0.9&service_time=15&aht_factor=1&shrinkage=0.3",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="forecast-whatif",
    )
    assert r.status_code == 200 and b'id="forecast-whatif"' in r.content and b"<html" not in r.content
    login(client, agent_alice)
    assert client.get("/workforce/").status_code == 404
    assert client.get("/workforce/me/").status_code == 200
    r = client.post(
        "/workforce/leave/", {"start": "2025-03-10T09:00", "end": "2025-03-10T12:00", "reason": "事假"}
    )
    assert r.status_code == 302
    r = client.post(
        "/workforce/leave/", {"start": "2025-03-10T09:00", "end": "2025-03-10T08:00", "reason": "x"}
    )
    assert r.status_code == 422
