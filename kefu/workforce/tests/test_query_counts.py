"""Query counts of the workforce pages and endpoints, pinned on data big enough that an N+1 shows: 40 agents in
4 teams with skills, a week of 200 shifts, 6 queues, 12 forecasts and schedules, 30 leave requests decided by
several people. A loop that touches a related row per item would add tens of queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from kefu.accounts.choices import Role
from kefu.accounts.models import Skill, Team
from kefu.accounts.services import api_token_create
from kefu.conftest import login
from kefu.tests.factories import UserFactory
from kefu.workforce import planning, services
from kefu.workforce.choices import LeaveStatus, ScheduleStatus
from kefu.workforce.models import Forecast, IntervalVolume, LeaveRequest, Queue, Schedule, Shift

WEEK = date(2025, 3, 3)  # a Monday
AGENTS = 40


@pytest.fixture
def world(manager_mike, lead_linda, front_team):
    teams = [front_team, *(Team.objects.create(name=f"组{i}") for i in range(3))]
    skills = [Skill.objects.create(name=f"技能{i}") for i in range(3)]
    agents = []
    for i in range(AGENTS):
        agent = UserFactory(username=f"a{i}", display_name=f"坐席{i}", team=teams[i % 4], role=Role.AGENT)
        agent.skills.set(skills[: 1 + i % 3])
        agents.append(agent)
    queues = [
        services.queue_create(actor=manager_mike, name=f"队列{i}", team=teams[i % 4], interval_minutes=60)
        for i in range(6)
    ]
    queue = queues[0]
    rows = []
    start = planning.local_midnight(WEEK - timedelta(weeks=4))
    for h in range(24 * 7 * 5):  # four weeks of history and the planned week itself (the actuals)
        t = start + timedelta(hours=h)
        calls = 20.0 if 8 <= t.astimezone(planning.tz()).hour < 20 else 0.0
        rows.append(IntervalVolume(queue=queue, start=t, calls=calls, handle_seconds=calls * 300))
    IntervalVolume.objects.bulk_create(rows)
    fc = services.forecast_create(actor=manager_mike, queue_id=queue.pk, week_start=WEEK)
    for q in queues[1:]:
        for k in range(2):
            Forecast.objects.create(
                queue=q, week_start=WEEK + timedelta(weeks=k), method="baseline", calls=fc.calls, aht=fc.aht,
                agents=fc.agents, heads=fc.heads,
            )  # fmt: skip
    schedule = Schedule.objects.create(
        queue=queue, week_start=WEEK, forecast=fc, status=ScheduleStatus.PUBLISHED, created_by=manager_mike
    )
    for q_fc in Forecast.objects.exclude(pk=fc.pk):
        Schedule.objects.create(queue=q_fc.queue, week_start=q_fc.week_start, forecast=q_fc)
    shifts = []
    for n, agent in enumerate(agents):
        for d in range(5):
            day = WEEK + timedelta(days=(n + d) % 7)
            s0 = planning.local_midnight(day) + timedelta(hours=8 + n % 4)
            shifts.append(
                Shift(schedule=schedule, agent=agent, tour=n, day=day, start=s0, end=s0 + timedelta(hours=9),
                      break_start=s0 + timedelta(hours=4), break_end=s0 + timedelta(hours=5))
            )  # fmt: skip
    Shift.objects.bulk_create(shifts)
    # Leave: every agent asks; the first third is decided by the lead or the manager.
    leaves = []
    for n, agent in enumerate(agents[:30]):
        t0 = planning.local_midnight(WEEK + timedelta(days=n % 7)) + timedelta(hours=9)
        leave = services.leave_request_create(
            actor=agent, start=t0, end=t0 + timedelta(hours=3), reason=f"事假{n}"
        )
        leaves.append(leave)
    for leave in leaves[:10]:
        services.leave_decide(actor=manager_mike, leave_id=leave.pk, approve=True)
    # agent a0 has many requests of their own, decided by different people.
    a0 = agents[0]
    for k in range(1, 12):
        t0 = planning.local_midnight(WEEK + timedelta(weeks=k)) + timedelta(hours=9)
        leave = services.leave_request_create(actor=a0, start=t0, end=t0 + timedelta(hours=2), reason="病假")
        services.leave_decide(
            actor=lead_linda if k % 2 else manager_mike, leave_id=leave.pk, approve=k % 3 != 0
        )
    return {"queue": queue, "queues": queues, "forecast": fc, "schedule": schedule, "agents": agents}


def test_world_is_big(world):
    # The sizes the pins below rely on (so that a per-row query would add tens of queries).
    assert Shift.objects.count() == AGENTS * 5 and Queue.objects.count() == 6
    assert LeaveRequest.objects.filter(status=LeaveStatus.PENDING).count() == 20
    assert Schedule.objects.count() == 11 and Forecast.objects.count() == 11


# Every logged-in page costs 2 queries before the view: the session and its user.
PAGES = [
    # (url template, expected queries)
    ("/workforce/", 5),  # + queues, schedules, forecasts (each with its queue)
    ("/workforce/queues/{queue}/settings/", 6),  # + queue, and the choices: teams, skills, calendars
    ("/workforce/forecasts/{forecast}/", 4),  # + forecast with queue, actuals
    ("/workforce/forecasts/{forecast}/?service_level=0.9&service_time=15&aht_factor=1&shrinkage=0.3", 5),
    # + schedule, shifts and leave (coverage), shifts with agents and leave (grid)
    ("/workforce/schedules/{schedule}/", 7),
    ("/workforce/schedules/{schedule}/export.xlsx", 5),  # + schedule, shifts with agents, leave
    ("/workforce/leave/inbox/", 3),  # + pending requests with agent and team
    # + queue, forecast, actuals, published schedule, its shifts, their leave, busy agents, agents on leave, pool
    ("/workforce/queues/{queue}/intraday/", 11),
]


def expected_leave_cells(world) -> int:
    approved = list(
        LeaveRequest.objects.filter(status=LeaveStatus.APPROVED).values_list("agent_id", "start", "end")
    )
    cells = [
        s for s in Shift.objects.filter(schedule=world["schedule"])
        if any(a == s.agent_id and ls < s.end and le > s.start for a, ls, le in approved)
    ]  # fmt: skip
    assert cells  # the world has some
    return len(cells)


def test_planner_pages(client, world, manager_mike, django_assert_num_queries):
    """One test over every page: building the world costs seconds, the pages milliseconds."""
    login(client, manager_mike)
    ids = {"queue": world["queue"].pk, "forecast": world["forecast"].pk, "schedule": world["schedule"].pk}
    # Wednesday of the planned week, 12:10: the intraday page has a forecast, a published schedule and actuals.
    with time_machine.travel(
        planning.local_midnight(WEEK + timedelta(days=2)) + timedelta(hours=12, minutes=10)
    ):
        for url, expected in PAGES:
            with django_assert_num_queries(expected):
                response = client.get(url.format(**ids))
            assert response.status_code == 200, url
            if url == "/workforce/schedules/{schedule}/":
                # Approved leave is marked on the shifts it overlaps.
                assert response.content.count(b'<td class="leave">') == expected_leave_cells(world)


def test_agent_pages(client, world, django_assert_num_queries):
    agent = world["agents"][0]
    login(client, agent)
    with time_machine.travel(planning.local_midnight(WEEK + timedelta(days=2)) + timedelta(hours=12)):
        with django_assert_num_queries(4):  # session, user, shifts with schedule and queue, approved leave
            r = client.get("/workforce/me/")
    assert r.status_code == 200 and len(r.context["shifts"]) == 5
    with django_assert_num_queries(3):  # session, user, own requests with who decided
        r = client.get("/workforce/leave/")
    assert r.status_code == 200 and len(r.context["leaves"]) == 12


def test_api_endpoints(client, world, manager_mike, django_assert_num_queries):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=manager_mike, name='t')[1]}"}
    sid, fid = world["schedule"].pk, world["forecast"].pk
    # Every call reads the token; the first also stamps its last_used_at (at most once a minute).
    with django_assert_num_queries(6):  # + schedule, shifts, coverage (shifts, leave)
        r = client.get(f"/api/v1/workforce/schedules/{sid}", **headers)
    assert r.status_code == 200 and len(r.json()["shifts"]) == AGENTS * 5
    with django_assert_num_queries(2):
        r = client.get("/api/v1/workforce/schedules", **headers)
    assert r.status_code == 200 and len(r.json()) == 11
    with django_assert_num_queries(2):
        assert client.get(f"/api/v1/workforce/forecasts/{fid}/requirements", **headers).status_code == 200
