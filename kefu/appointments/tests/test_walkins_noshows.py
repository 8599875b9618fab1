"""Walk-ins beside the day's appointments, late ones, no-shows by the clock and by hand (counted on
the customer's page), and the week's share of appointments vs walk-ins."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from kefu.accounts.services import api_token_create
from kefu.appointments import selectors, services
from kefu.appointments.clock import JOBS
from kefu.appointments.models import Appointment, ConfirmationCall, WalkIn
from kefu.appointments.tests.conftest import DAY, NOW
from kefu.appointments.tests.test_services import at, book
from kefu.conftest import login
from kefu.core.clock import run_pass
from kefu.core.errors import DomainError

pytestmark = pytest.mark.django_db
NO_SHOW_JOB = [j for j in JOBS if j.name == "appointments_no_show"]


def test_walk_in_recorded_for_a_known_or_unknown_customer(agent_alice, customer_wang, advisor, quick):
    w = services.walkin_record(actor=agent_alice, customer_id=customer_wang.pk, resource_id=advisor.pk, service_type_id=quick.pk, now=at(10))
    assert w.name == customer_wang.name and w.arrived_at == at(10) and w.recorded_by == agent_alice
    services.walkin_record(actor=agent_alice, name="路过的张先生", phone="13900001111", now=at(11))
    assert [x.name for x in selectors.walk_ins(viewer=agent_alice, day=DAY)] == [customer_wang.name, "路过的张先生"]
    with pytest.raises(DomainError) as exc:
        services.walkin_record(actor=agent_alice, now=at(11))
    assert exc.value.status == 422 and "name" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        services.walkin_record(actor=agent_alice, customer_id=999999)
    assert exc.value.fields == {"customer": [exc.value.message]}


def test_late_ones_arrivals_and_counts(agent_alice, customer_wang, advisor, quick):
    early = book(agent_alice, advisor, quick, at(9), customer_wang)
    late = book(agent_alice, advisor, quick, at(9, 30), customer_wang)
    book(agent_alice, advisor, quick, at(15), customer_wang)
    services.appointment_mark(actor=agent_alice, appointment_id=early.pk, status="arrived", now=at(8, 55))
    services.walkin_record(actor=agent_alice, name="李女士", now=at(9, 20))
    # 09:39: 9:30 is not late yet (10 minutes); at 09:41 it is.
    assert selectors.late_ones(viewer=agent_alice, day=DAY, now=at(9, 39)) == []
    assert [a.pk for a in selectors.late_ones(viewer=agent_alice, day=DAY, now=at(9, 41))] == [late.pk]
    counts = selectors.day_counts(viewer=agent_alice, day=DAY, now=at(9, 41))
    assert (counts.appointments, counts.arrived, counts.late, counts.no_shows, counts.walk_ins) == (3, 1, 1, 0, 1)
    assert Appointment.objects.get(pk=early.pk).arrived_at == at(8, 55)


def test_clock_records_no_show_after_slot_and_grace_once(agent_alice, customer_wang, advisor, quick):
    gone = book(agent_alice, advisor, quick, at(9), customer_wang)  # ends 09:15, no-show due 09:45
    came = book(agent_alice, advisor, quick, at(9, 15), customer_wang)
    assert gone.no_show_due_at == at(9, 45)
    services.appointment_mark(actor=agent_alice, appointment_id=came.pk, status="arrived", now=at(9, 14))
    assert run_pass(job_list=NO_SHOW_JOB, now=at(9, 44)).handled == 0
    result = run_pass(job_list=NO_SHOW_JOB, now=at(9, 46))
    assert result.handled == 1
    gone.refresh_from_db()
    assert gone.status == "no_show" and gone.no_show_due_at is None
    assert not ConfirmationCall.objects.filter(appointment=gone, status="open").exists()
    assert Appointment.objects.get(pk=came.pk).status == "arrived"
    # A rerun finds nothing more; a stale claim (old due time) is refused.
    assert run_pass(job_list=NO_SHOW_JOB, now=at(12)).handled == 0
    assert services.appointment_no_show_due(appointment_id=gone.pk, due_at=at(9, 45)) is False


def test_moved_or_cancelled_bookings_leave_the_no_show_clock(agent_alice, customer_wang, advisor, quick):
    a = book(agent_alice, advisor, quick, at(9), customer_wang)
    services.appointment_move(actor=agent_alice, appointment_id=a.pk, start=at(14), now=NOW)
    assert Appointment.objects.get(pk=a.pk).no_show_due_at == at(14, 45)
    services.appointment_cancel(actor=agent_alice, appointment_id=a.pk)
    assert Appointment.objects.get(pk=a.pk).no_show_due_at is None
    assert run_pass(job_list=NO_SHOW_JOB, now=at(18)).handled == 0


def test_no_shows_by_hand_and_clock_count_on_the_customer_page(client, agent_alice, customer_wang, advisor, quick):
    a1 = book(agent_alice, advisor, quick, at(9), customer_wang)
    book(agent_alice, advisor, quick, at(10), customer_wang)
    services.appointment_mark(actor=agent_alice, appointment_id=a1.pk, status="no_show")
    run_pass(job_list=NO_SHOW_JOB, now=at(11))
    services.walkin_record(actor=agent_alice, customer_id=customer_wang.pk, now=at(12))
    visits = selectors.customer_visits(viewer=agent_alice, customer_id=customer_wang.pk, now=at(12))
    assert visits is not None and (visits.appointments, visits.no_shows, visits.walk_ins) == (2, 2, 1)
    page = login(client, agent_alice).get(f"/customers/{customer_wang.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="customer-appointments"' in html
    assert "data-no-shows>2<" in html and "data-visits-walk-ins>1<" in html


def test_week_share_of_appointments_and_walk_ins(agent_alice, customer_wang, advisor, quick):
    monday = DAY - timedelta(days=DAY.weekday())
    kept = [book(agent_alice, advisor, quick, at(h), customer_wang) for h in (9, 10, 11)]
    for a in kept:
        services.appointment_mark(actor=agent_alice, appointment_id=a.pk, status="done")
    book(agent_alice, advisor, quick, at(14), customer_wang)  # not kept: does not count as a visit
    services.walkin_record(actor=agent_alice, name="甲", now=at(10))
    share = selectors.week_share(viewer=agent_alice, first=monday)
    assert (share.appointments, share.walk_ins, share.appointment_pct, share.walk_in_pct) == (3, 1, 75, 25)
    next_week = selectors.week_share(viewer=agent_alice, first=monday + timedelta(days=7))
    assert (next_week.total, next_week.appointment_pct) == (0, 0)


def test_board_shows_walk_ins_late_and_share_and_records_a_walk_in(client, agent_alice, customer_wang, advisor, quick):
    with time_machine.travel(NOW, tick=False):
        book(agent_alice, advisor, quick, at(9), customer_wang)
    with time_machine.travel(at(10), tick=False):
        c = login(client, agent_alice)  # the session is made in the travelled time, or it has expired there
        r = c.post("/appointments/walk-ins/", {"name": "王先生", "phone": "13700000000", "resource": advisor.pk, "service": quick.pk})
        assert r.status_code == 302
        html = c.get(f"/appointments/?day={DAY.isoformat()}").content.decode()
    assert WalkIn.objects.get().resource == advisor
    assert "data-count-walk-ins>1<" in html and "data-count-late>1<" in html and 'data-walk-in="' in html
    assert 'id="appointments-week-share"' in html and "data-share-walk-ins>1<" in html
    # Bad input: nothing recorded, an error message instead.
    with time_machine.travel(at(10), tick=False):
        c.post("/appointments/walk-ins/", {"name": "", "phone": ""})
    assert WalkIn.objects.count() == 1


def test_board_and_walk_ins_need_login(client):
    assert client.get("/appointments/").status_code == 302
    assert client.post("/appointments/walk-ins/", {"name": "x"}).status_code == 302
    assert WalkIn.objects.count() == 0


def _api(client: Client, method: str, url: str, user, body=None):
    headers = {}
    if user is not None:
        _row, token = api_token_create(user=user, name="t")
        headers["Authorization"] = f"Bearer {token}"
    fn = getattr(client, method)
    if body is None:
        return fn(url, headers=headers)
    return fn(url, data=json.dumps(body), content_type="application/json", headers=headers)


def test_api_walk_ins(client, agent_alice, customer_wang, advisor):
    r = _api(client, "post", "/api/v1/appointments/walk-ins", agent_alice, {"customer": customer_wang.pk, "resource": advisor.pk})
    assert r.status_code == 201 and r.json()["customer_id"] == customer_wang.pk
    day = WalkIn.objects.get().arrived_at.astimezone().date()
    listed = _api(client, "get", "/api/v1/appointments/walk-ins", agent_alice)
    assert listed.status_code == 200 and (len(listed.json()) == 1 or day != DAY)
    bad = _api(client, "post", "/api/v1/appointments/walk-ins", agent_alice, {"name": "", "phone": ""})
    assert bad.status_code == 422 and bad.json()["code"] == "appointments_invalid_input"
    assert _api(client, "post", "/api/v1/appointments/walk-ins", None, {"name": "x"}).status_code == 401
