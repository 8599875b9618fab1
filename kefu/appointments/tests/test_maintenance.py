"""Periodic maintenance reminders (定期保养提醒): the due-date arithmetic, the clock's reminder list
(never twice for one due date, also on a rerun), and a reminder becoming an appointment in one step."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from kefu.accounts.services import api_token_create
from kefu.appointments import selectors, services
from kefu.appointments.clock import JOBS
from kefu.appointments.maintenance import add_months, next_due
from kefu.appointments.models import Appointment, AppointmentsClock, MaintenanceReminder
from kefu.appointments.tests.conftest import DAY, NOW
from kefu.appointments.tests.test_services import at
from kefu.conftest import login
from kefu.core.clock import run_pass
from kefu.core.errors import DomainError
from kefu.customers.models import CustomerAsset

pytestmark = pytest.mark.django_db
TODAY = NOW.date()  # 2027-03-01
DAILY = [j for j in JOBS if j.name == "appointments_daily"]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 9, 15), 6, date(2027, 3, 15)),
        (date(2026, 12, 1), 12, date(2027, 12, 1)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # By time only.
        ({"months": 6}, (date(2027, 3, 15), "months")),
        # By mileage: 4,000 km in 167 days (24 km a day), 1,000 km left -> 42 days from today.
        ({"km": 5000, "mileage": 14000, "last_service_km": 10000}, (date(2027, 4, 12), "mileage")),
        # Both: whichever first.
        ({"months": 6, "km": 5000, "mileage": 14000, "last_service_km": 10000}, (date(2027, 3, 15), "months")),
        ({"months": 12, "km": 5000, "mileage": 14000, "last_service_km": 10000}, (date(2027, 4, 12), "mileage")),
        # Past the mileage already: due today.
        ({"months": 12, "km": 5000, "mileage": 16000, "last_service_km": 10000}, (TODAY, "mileage")),
        # Mileage unknown: time only; nothing known: no date.
        ({"months": 6, "km": 5000, "mileage": None, "last_service_km": 10000}, (date(2027, 3, 15), "months")),
        ({"km": 5000}, None),
        ({"km": 5000, "mileage": 10000, "last_service_km": 10000}, None),
    ],
)
def test_next_due(kwargs, expected):
    due = next_due(last_service_on=date(2026, 9, 15), today=TODAY, **kwargs)
    assert (None if due is None else (due.on, due.reason)) == expected


@pytest.fixture
def plan(db, manager_mike, baoyang):
    return services.maintenance_plan_create(
        actor=manager_mike, name="常规保养 5000公里/6个月", months=6, km=5000, days_ahead=14, service_type_id=baoyang.pk
    )


@pytest.fixture
def cars(customer_wang):
    due_by_time = CustomerAsset.objects.create(
        customer=customer_wang, kind="vehicle", identifier="沪A10001", attributes={"last_service_on": "2026-09-10"}
    )
    due_by_km = CustomerAsset.objects.create(
        customer=customer_wang, kind="vehicle", identifier="沪A10002",
        attributes={"last_service_on": "2026-12-01", "last_service_km": 20000, "mileage": 24700},
    )
    not_due = CustomerAsset.objects.create(
        customer=customer_wang, kind="vehicle", identifier="沪A10003", attributes={"last_service_on": "2027-01-20"}
    )
    phone = CustomerAsset.objects.create(customer=customer_wang, kind="device", identifier="IMEI1", attributes={"last_service_on": "2020-01-01"})
    return due_by_time, due_by_km, not_due, phone


def test_plan_needs_an_interval_and_a_manager(agent_alice, manager_mike):
    with pytest.raises(DomainError) as exc:
        services.maintenance_plan_create(actor=manager_mike, name="x")
    assert exc.value.status == 422 and "months" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        services.maintenance_plan_create(actor=agent_alice, name="x", months=6)
    assert exc.value.status == 403


def test_reminder_list_n_days_ahead_never_twice(plan, cars):
    due_by_time, due_by_km, not_due, phone = cars
    assert services.maintenance_reminders_generate(day=TODAY) == 2
    rows = {r.asset_id: (r.due_on, r.reason) for r in MaintenanceReminder.objects.all()}
    assert rows[due_by_time.pk] == (date(2027, 3, 10), "months")
    # 4,700 km in 90 days: 300 km left at ~52 km a day -> 6 days.
    assert rows[due_by_km.pk] == (date(2027, 3, 7), "mileage")
    assert not_due.pk not in rows and phone.pk not in rows
    # The rerun (and the next day's) remind nobody twice for the same due date.
    assert services.maintenance_reminders_generate(day=TODAY) == 0
    assert services.maintenance_reminders_generate(day=TODAY + timedelta(days=1)) in (0, 1)
    assert MaintenanceReminder.objects.filter(asset=due_by_time).count() == 1


def test_database_refuses_a_second_reminder_for_one_due_date(plan, cars):
    services.maintenance_reminders_generate(day=TODAY)
    first = MaintenanceReminder.objects.order_by("pk").first()
    assert first is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        MaintenanceReminder.objects.create(plan=plan, asset=first.asset, customer=first.customer, due_on=first.due_on, reason="months")


def test_the_clock_writes_the_list_hourly_and_a_rerun_adds_nothing(plan, cars):
    clock = services.appointments_clock_install(due_at=NOW)
    AppointmentsClock.objects.filter(pk=clock.pk).update(due_at=NOW)
    assert run_pass(job_list=DAILY, now=NOW).handled == 1
    assert MaintenanceReminder.objects.count() == 2
    assert run_pass(job_list=DAILY, now=NOW).handled == 0  # not due again for an hour
    assert run_pass(job_list=DAILY, now=NOW + timedelta(hours=1, minutes=1)).handled == 1
    assert MaintenanceReminder.objects.count() == 2
    # A stale claim (the old due time) is refused.
    assert services.appointments_tick(clock_id=clock.pk, due_at=NOW) is False


def test_a_booked_asset_is_not_reminded(plan, cars, agent_alice, customer_wang, advisor, quick):
    due_by_time = cars[0]
    services.appointment_book(
        actor=agent_alice, resource_id=advisor.pk, service_type_id=quick.pk, start=at(9), customer_id=customer_wang.pk,
        asset_id=due_by_time.pk, now=NOW,
    )
    services.maintenance_reminders_generate(day=TODAY)
    assert not MaintenanceReminder.objects.filter(asset=due_by_time).exists()


def test_reminder_becomes_an_appointment_in_one_step(plan, cars, agent_alice, advisor):
    services.maintenance_reminders_generate(day=TODAY)
    reminder = MaintenanceReminder.objects.get(asset=cars[0])
    appointment = services.reminder_book(actor=agent_alice, reminder_id=reminder.pk, now=NOW)
    reminder.refresh_from_db()
    assert reminder.status == "booked" and reminder.appointment_id == appointment.pk
    assert appointment.asset_id == cars[0].pk and appointment.service_type_id == plan.service_type_id
    # The first free time from the due date's week (due 03-10: from 03-03), a 1-hour 保养.
    assert appointment.start == at(9, day=date(2027, 3, 3)) and appointment.end == at(10, day=date(2027, 3, 3))
    with pytest.raises(DomainError) as exc:
        services.reminder_book(actor=agent_alice, reminder_id=reminder.pk, now=NOW)
    assert exc.value.status == 409 and exc.value.code == "maintenance_reminder_closed"
    # Booked: the next run does not remind the asset again.
    services.maintenance_reminders_generate(day=TODAY)
    assert MaintenanceReminder.objects.filter(asset=cars[0]).count() == 1


def test_reminder_booked_at_a_chosen_time_and_dismissed(plan, cars, agent_alice, advisor):
    services.maintenance_reminders_generate(day=TODAY)
    r1, r2 = MaintenanceReminder.objects.order_by("pk")
    a = services.reminder_book(actor=agent_alice, reminder_id=r1.pk, resource_id=advisor.pk, start=at(13), now=NOW)
    assert a.start == at(13) and a.resource_id == advisor.pk
    services.reminder_dismiss(actor=agent_alice, reminder_id=r2.pk)
    assert selectors.reminders_open(viewer=agent_alice) == []
    with pytest.raises(DomainError) as exc:
        services.reminder_book(actor=agent_alice, reminder_id=999999, now=NOW)
    assert exc.value.status == 404


def test_reminders_page_books_in_one_click(client, plan, cars, agent_alice, advisor):
    with time_machine.travel(NOW, tick=False):
        services.maintenance_reminders_generate(day=TODAY)
        c = login(client, agent_alice)
        page = c.get("/appointments/reminders/")
        reminder = MaintenanceReminder.objects.get(asset=cars[0])
        assert page.status_code == 200 and f'data-reminder-book="{reminder.pk}"' in page.content.decode()
        customer_page = c.get(f"/customers/{cars[0].customer_id}/").content.decode()
        assert f'data-reminder="{reminder.pk}"' in customer_page
        r = c.post(f"/appointments/reminders/{reminder.pk}/book/")
    assert r.status_code == 302 and "/appointments/?day=2027-03-03" in r["Location"]
    assert Appointment.objects.filter(asset=cars[0]).count() == 1
    assert client.get("/appointments/reminders/").status_code == 200  # logged in
    anonymous = type(client)()
    assert anonymous.post(f"/appointments/reminders/{reminder.pk}/book/").status_code == 302
    assert anonymous.get("/appointments/reminders/").status_code == 302


def _api(client, method, url, user, body=None):
    headers = {}
    if user is not None:
        _row, token = api_token_create(user=user, name="t")
        headers["Authorization"] = f"Bearer {token}"
    return getattr(client, method)(url, data=json.dumps(body or {}), content_type="application/json", headers=headers)


def test_api_reminders_and_one_step_booking(client, plan, cars, agent_alice, advisor):
    services.maintenance_reminders_generate(day=TODAY)
    listed = client.get("/api/v1/appointments/reminders", headers={"Authorization": f"Bearer {api_token_create(user=agent_alice, name='t')[1]}"})
    assert listed.status_code == 200 and [r["asset"] for r in listed.json()] == ["沪A10002", "沪A10001"]
    rid = listed.json()[1]["id"]
    start = (at(9) + timedelta(days=1)).isoformat()
    booked = _api(client, "post", f"/api/v1/appointments/reminders/{rid}/book", agent_alice, {"resource": advisor.pk, "start": start})
    assert booked.status_code == 201 and booked.json()["asset"] == "沪A10001"
    again = _api(client, "post", f"/api/v1/appointments/reminders/{rid}/book", agent_alice, {})
    assert again.status_code == 409 and again.json()["code"] == "maintenance_reminder_closed"
    other = listed.json()[0]["id"]
    bad = _api(client, "post", f"/api/v1/appointments/reminders/{other}/book", agent_alice, {"start": start})
    assert bad.status_code == 422 and "resource" in json.dumps(bad.json())
    dismissed = _api(client, "post", f"/api/v1/appointments/reminders/{other}/dismiss", agent_alice)
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert _api(client, "post", f"/api/v1/appointments/reminders/{other}/dismiss", None).status_code == 401


def test_day_constant_is_a_wednesday():
    assert DAY.weekday() == 2
