"""Two (and twenty) people book the last slot at the same moment, on PostgreSQL with real
connections in threads: exactly the capacity is booked, the others get a clear 409."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from kefu.appointments import services
from kefu.appointments.models import Appointment, Slot
from kefu.appointments.tests.conftest import NOW
from kefu.appointments.tests.test_services import at
from kefu.core.errors import DomainError

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL"),
]


def _race(n: int, resource, service, actor, customer) -> list[str]:
    barrier = threading.Barrier(n)
    results: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            services.appointment_book(
                actor=actor, resource_id=resource.pk, service_type_id=service.pk, start=at(9), customer_id=customer.pk, now=NOW
            )
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_people_book_the_last_slot(advisor, quick, agent_alice, customer_wang):
    results = _race(2, advisor, quick, agent_alice, customer_wang)
    assert sorted(results) == ["appointment_slot_full", "ok"]
    assert Appointment.objects.count() == 1 and Slot.objects.get().booked == 1


def test_twenty_on_a_slot_of_two(bay, baoyang, agent_alice, customer_wang):
    results = _race(20, bay, baoyang, agent_alice, customer_wang)
    assert results.count("ok") == 2 and results.count("appointment_slot_full") == 18
    assert list(Slot.objects.order_by("start").values_list("booked", flat=True)) == [2, 2, 2, 2]
