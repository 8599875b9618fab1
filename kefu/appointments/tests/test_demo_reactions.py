from __future__ import annotations

import pytest

from kefu.appointments import services
from kefu.appointments.choices import AppointmentStatus, BookingSource
from kefu.appointments.demo import ADVISORS, BAYS, load_appointments_demo
from kefu.appointments.models import Appointment, ConfirmationCall, Resource, ServiceType
from kefu.appointments.tests.conftest import DAY, NOW
from kefu.core.errors import DomainError
from kefu.customers.models import CustomerAsset
from kefu.tests.factories import TicketFactory
from kefu.tickets.services import ticket_merge

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_books_a_week_for_the_dealership(manager_mike, agent_alice, customer_wang) -> None:
    CustomerAsset.objects.create(customer=customer_wang, kind="vehicle", identifier="沪B88888")
    summary = load_appointments_demo(manager=manager_mike, desk=[agent_alice], per_day=6)
    assert summary.resources == Resource.objects.count() == len(ADVISORS) + len(BAYS)
    assert ServiceType.objects.get(name="常规保养").slots == 4
    assert summary.appointments == Appointment.objects.count() > 0
    # Every booking has its confirmation call; nothing ran over capacity (the constraint would have said).
    assert ConfirmationCall.objects.values("appointment").distinct().count() == summary.appointments
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert statuses <= set(AppointmentStatus.values)
    assert set(Appointment.objects.values_list("source", flat=True)) <= {BookingSource.STAFF, BookingSource.PORTAL}


def test_only_managers_set_up_resources(agent_alice, manager_mike) -> None:
    with pytest.raises(DomainError) as caught:
        services.resource_create(actor=agent_alice, name="工位 9")
    assert caught.value.status == 403
    with pytest.raises(DomainError) as caught:
        services.service_type_create(actor=manager_mike, name="空", slots=0)
    assert caught.value.status == 422 and "slots" in (caught.value.fields or {})


def test_a_merged_ticket_hands_its_appointments_to_the_target(advisor, quick, customer_wang, agent_alice, lead_linda) -> None:
    source = TicketFactory(actor=agent_alice, customer=customer_wang)
    target = TicketFactory(actor=agent_alice, customer=customer_wang)
    start = NOW.replace(year=DAY.year, month=DAY.month, day=DAY.day, hour=2)  # 10:00 in Shanghai
    booked = services.appointment_book(
        actor=agent_alice, resource_id=advisor.pk, service_type_id=quick.pk, start=start,
        customer_id=customer_wang.pk, ticket_id=source.pk, now=NOW,
    )  # fmt: skip
    ticket_merge(actor=lead_linda, source_number=source.number, target_number=target.number)
    booked.refresh_from_db()
    assert booked.ticket_id == target.pk
