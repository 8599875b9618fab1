from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.appointments import selectors, services
from kefu.appointments.access import appointment_token
from kefu.appointments.models import Appointment, ConfirmationCall, ReservedHours, Slot
from kefu.appointments.tests.conftest import DAY, NOW
from kefu.core.errors import DomainError
from kefu.customers.models import CustomerAsset


def at(h: int, m: int = 0, day=DAY) -> datetime:
    # Asia/Shanghai wall time -> UTC
    return datetime(day.year, day.month, day.day, h, m, tzinfo=UTC) - timedelta(hours=8)


def book(actor, resource, service, start, customer, **kw):
    return services.appointment_book(
        actor=actor, resource_id=resource.pk, service_type_id=service.pk, start=start, customer_id=customer.pk, now=NOW, **kw
    )


def test_grid_uses_working_hours_and_15_minute_slots(advisor, quick, baoyang):
    free = selectors.free_slots(resources=[advisor], service=quick, first=DAY, now=NOW)
    assert len(free) == 7 * 4  # 3 h morning + 4 h afternoon
    assert free[0].start == at(9) and free[-1].start == at(16, 45)
    long = selectors.free_slots(resources=[advisor], service=baoyang, first=DAY, now=NOW)
    starts = [f.start for f in long]
    # A 1-hour 保养 never spans the lunch break: the last morning start is 11:00.
    assert at(11) in starts and at(11, 15) not in starts and at(13) in starts and at(16) in starts and at(16, 15) not in starts


def test_sunday_and_chinese_holiday_closed(advisor, quick):
    sunday = DAY + timedelta(days=4)
    assert selectors.free_slots(resources=[advisor], service=quick, first=sunday, now=NOW) == []
    national_day = datetime(2026, 10, 1).date()
    assert selectors.free_slots(resources=[advisor], service=quick, first=national_day, now=datetime(2026, 9, 1, tzinfo=UTC)) == []


def test_booking_takes_four_slots_and_never_exceeds_capacity(advisor, baoyang, quick, agent_alice, customer_wang):
    asset = CustomerAsset.objects.create(customer=customer_wang, kind="vehicle", identifier="沪A12345")
    a = book(agent_alice, advisor, baoyang, at(9), customer_wang, asset_id=asset.pk)
    assert a.end == at(10) and a.asset_id == asset.pk and a.contact_phone == "13812341234"
    assert list(Slot.objects.filter(resource=advisor).values_list("booked", flat=True)) == [1, 1, 1, 1]
    with pytest.raises(DomainError) as exc:
        book(agent_alice, advisor, quick, at(9, 45), customer_wang)
    assert exc.value.code == "appointment_slot_full" and exc.value.status == 409
    free = [f.start for f in selectors.free_slots(resources=[advisor], service=quick, first=DAY, now=NOW)]
    assert at(9) not in free and at(9, 45) not in free and at(10) in free


def test_cancel_releases_at_once(advisor, quick, agent_alice, customer_wang):
    a = book(agent_alice, advisor, quick, at(9), customer_wang)
    services.appointment_cancel(actor=agent_alice, appointment_id=a.pk)
    assert Slot.objects.get(resource=advisor, start=at(9)).booked == 0
    assert book(agent_alice, advisor, quick, at(9), customer_wang).pk != a.pk
    with pytest.raises(DomainError):
        services.appointment_cancel(actor=agent_alice, appointment_id=a.pk)


def test_bad_times_refused_with_field(advisor, quick, agent_alice, customer_wang):
    for start in (at(12), at(9, 7), at(8), NOW - timedelta(days=1)):
        with pytest.raises(DomainError) as exc:
            book(agent_alice, advisor, quick, start, customer_wang)
        assert exc.value.status == 422 and "start" in exc.value.fields


def test_reserved_hours_close_or_reduce(bay, quick, agent_alice, customer_wang):
    ReservedHours.objects.create(resource=bay, start=datetime(2000, 1, 1, 10).time(), end=datetime(2000, 1, 1, 11).time(), capacity=0)
    ReservedHours.objects.create(resource=None, start=datetime(2000, 1, 1, 9).time(), end=datetime(2000, 1, 1, 9, 30).time(), capacity=1)
    free = {f.start: f.free for f in selectors.free_slots(resources=[bay], service=quick, first=DAY, now=NOW)}
    assert at(10) not in free and at(10, 45) not in free and free[at(9)] == 1 and free[at(11)] == 2
    book(agent_alice, bay, quick, at(9), customer_wang)
    with pytest.raises(DomainError):
        book(agent_alice, bay, quick, at(9), customer_wang)
    with pytest.raises(DomainError):
        book(agent_alice, bay, quick, at(10), customer_wang)


def test_confirmation_call_two_business_days_before_with_retry(advisor, quick, agent_alice, customer_wang):
    monday = DAY + timedelta(days=5)
    a = book(agent_alice, advisor, quick, at(9, day=monday), customer_wang)
    call = ConfirmationCall.objects.get(appointment=a)
    # Monday's call is due on Friday: the advisor's Saturday counts as a business day, Sunday does not.
    assert call.due_on == monday - timedelta(days=3)
    due_now = datetime(2027, 3, 12, 2, tzinfo=UTC)
    assert selectors.calls_due(viewer=agent_alice, now=due_now - timedelta(days=1)) == []
    assert selectors.calls_due(viewer=agent_alice, now=due_now) == [call]
    services.call_record(actor=agent_alice, call_id=call.pk, outcome="no_answer", now=due_now)
    assert selectors.calls_due(viewer=agent_alice, now=due_now + timedelta(hours=1)) == []
    assert selectors.calls_due(viewer=agent_alice, now=due_now + timedelta(hours=3)) == [call]
    services.call_record(actor=agent_alice, call_id=call.pk, outcome="confirmed", now=due_now + timedelta(hours=3))
    a.refresh_from_db()
    call.refresh_from_db()
    assert a.status == "confirmed" and call.status == "done" and call.attempts == 2
    with pytest.raises(DomainError):
        services.call_record(actor=agent_alice, call_id=call.pk, outcome="confirmed")


def test_call_moved_and_cancelled(advisor, quick, agent_alice, customer_wang):
    a = book(agent_alice, advisor, quick, at(9), customer_wang)
    call = ConfirmationCall.objects.get(appointment=a)
    with pytest.raises(DomainError):
        services.call_record(actor=agent_alice, call_id=call.pk, outcome="moved", now=NOW)
    services.call_record(actor=agent_alice, call_id=call.pk, outcome="moved", start=at(14), now=NOW)
    a.refresh_from_db()
    assert a.start == at(14) and Slot.objects.get(start=at(9)).booked == 0 and Slot.objects.get(start=at(14)).booked == 1
    new_call = ConfirmationCall.objects.get(appointment=a, status="open")
    services.call_record(actor=agent_alice, call_id=new_call.pk, outcome="cancelled", now=NOW)
    a.refresh_from_db()
    assert a.status == "cancelled" and Slot.objects.get(start=at(14)).booked == 0


def test_late_part_flags_the_appointment(advisor, quick, agent_alice, customer_wang):
    a = book(agent_alice, advisor, quick, at(9), customer_wang)
    services.part_add(actor=agent_alice, appointment_id=a.pk, name="机油滤清器", expected_on=DAY - timedelta(days=2))
    a.refresh_from_db()
    assert not a.parts_late
    late = services.part_add(actor=agent_alice, appointment_id=a.pk, name="刹车片", expected_on=DAY)
    assert selectors.late_parts(viewer=agent_alice) == [Appointment.objects.get(pk=a.pk)]
    services.part_arrived(actor=agent_alice, part_id=late.pk)
    assert selectors.late_parts(viewer=agent_alice) == []


def test_no_show_counts_and_anonymous_refused(advisor, quick, agent_alice, customer_wang):
    from django.contrib.auth.models import AnonymousUser

    a = book(agent_alice, advisor, quick, at(9), customer_wang)
    services.appointment_mark(actor=agent_alice, appointment_id=a.pk, status="no_show")
    assert selectors.no_shows_of(viewer=agent_alice, customer_id=customer_wang.pk) == 1
    with pytest.raises(DomainError) as exc:
        book(AnonymousUser(), advisor, quick, at(10), customer_wang)
    assert exc.value.status == 403
    with pytest.raises(DomainError):
        services.appointment_mark(actor=agent_alice, appointment_id=a.pk, status="booked")


def test_customer_books_and_moves_by_signed_link(advisor, quick, baoyang):
    a = services.appointment_book_by_customer(
        name="张先生", phone="13900001111", plate="京B88888", resource_id=advisor.pk, service_type_id=baoyang.pk, start=at(13), now=NOW
    )
    assert a.source == "portal" and a.asset.identifier == "京B88888" and a.customer.name == "张先生"
    token = appointment_token(a)
    services.appointment_move_by_token(token=token, start=at(15), now=NOW)
    a.refresh_from_db()
    assert a.start == at(15) and a.end == at(16)
    services.appointment_cancel_by_token(token=token)
    with pytest.raises(DomainError) as exc:
        services.appointment_cancel_by_token(token=token[:-2] + "xx")
    assert exc.value.status == 404
    assert sum(Slot.objects.values_list("booked", flat=True)) == 0
