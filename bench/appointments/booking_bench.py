"""Appointments (issue 19): free-slot lookup over 50 resources for a week, and 1,000 concurrent
bookings on 100 slots.

1. `free`: 50 resources (08:30-12:00 13:30-17:30, Monday-Saturday, 15-minute slots, capacity 1 or 2,
   08:30-09:00 kept free on all of them), about a third of the week's slots already booked through
   `appointment_book`; then `selectors.free_slots` for a 1-hour 保养 (4 slots) over the 50 resources
   and 7 days, timed `--lookups` times, and `GET /api/v1/appointments/free?days=7` through the
   in-process test Client with a token (the endpoint the portal and the API use).
2. `race`: 4 resources × 25 slots of capacity 1 (100 slots); 1,000 bookings of those 100 starts
   (each start asked 10 times, shuffled) from `--threads` threads, each with its own PostgreSQL
   connection, all released at once by a barrier. Counts: successes, 409 `appointment_slot_full`,
   and the slot rows afterwards (booked ≤ capacity).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench_appt \\
        .venv/bin/python bench/appointments/booking_bench.py [--lookups 200] [--threads 50]

Its rows (resources named `bench …`, customer `bench 预约客户`) are removed at the start of a run.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _setup import bench_cast, django_setup, machine_line, summary  # noqa: E402

django_setup()

from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from kefu.appointments import selectors, services  # noqa: E402
from kefu.appointments import slots as grid_mod  # noqa: E402
from kefu.appointments.models import Appointment, ReservedHours, Resource, ServiceType, Slot  # noqa: E402
from kefu.core.errors import DomainError  # noqa: E402
from kefu.customers.models import Customer  # noqa: E402


def _clean() -> None:
    bench = Resource.objects.filter(name__startswith="bench ")
    Appointment.objects.filter(resource__in=bench).delete()
    Slot.objects.filter(resource__in=bench).delete()
    ReservedHours.objects.filter(resource__in=bench).delete()
    bench.delete()
    ServiceType.objects.filter(name__startswith="bench ").delete()


def _first_open_monday(resource: Resource) -> date:
    d = timezone.localdate() + timedelta(days=7)
    while True:
        d += timedelta(days=(7 - d.weekday()) % 7)
        week = [grid_mod.grid(resource, d + timedelta(days=i), {}) for i in range(6)]
        if all(week):  # a week without a public holiday
            return d
        d += timedelta(days=7)


def bench_free(manager, customer, lookups: int) -> None:
    resources = [
        Resource.objects.create(
            name=f"bench 顾问 {i:02d}", hours="08:30-12:00 13:30-17:30", weekdays="012345", capacity=1 + i % 2
        )
        for i in range(50)
    ]
    for r in resources:
        ReservedHours.objects.create(resource=r, start="08:30", end="09:00", capacity=0)
    baoyang = ServiceType.objects.create(name="bench 保养", slots=4)
    quick = ServiceType.objects.create(name="bench 快修", slots=1)
    monday = _first_open_monday(resources[0])
    rng = random.Random(19)
    booked = 0
    started = time.perf_counter()
    for r in resources:
        for i in range(6):
            cells = grid_mod.grid(r, monday + timedelta(days=i), grid_mod.reserved_for([r]))
            for cell in cells:
                if cell.capacity and rng.random() < 0.33:
                    try:
                        services.appointment_book(
                            actor=manager, resource_id=r.pk, service_type_id=quick.pk, start=cell.start,
                            customer_id=customer.pk,
                        )
                        booked += 1
                    except DomainError:
                        pass
    print(f"setup: 50 resources, week of {monday}, {booked} bookings in {time.perf_counter() - started:.1f}s")

    ms: list[float] = []
    found = 0
    for _ in range(lookups):
        t = time.perf_counter()
        rows = selectors.free_slots(
            resources=resources, service=baoyang, first=monday, days=7
        )
        ms.append((time.perf_counter() - t) * 1000)
        found = len(rows)
    print(f"free_slots (selector, 50 resources × 7 days, 4-slot service): {summary(ms)}; {found} free starts")

    from kefu.accounts.services import api_token_create

    _row, token = api_token_create(user=manager, name="bench appointments")
    client = Client(headers={"authorization": f"Bearer {token}"})
    url = f"/api/v1/appointments/free?service_type={baoyang.pk}&day={monday}&days=7"
    assert client.get(url).status_code == 200, client.get(url).content[:300]
    ms = []
    for _ in range(lookups):
        t = time.perf_counter()
        response = client.get(url)
        ms.append((time.perf_counter() - t) * 1000)
    print(f"GET /api/v1/appointments/free (days=7, all resources): {summary(ms)}; {len(response.json())} rows")


def bench_race(manager, customer, n_threads: int) -> None:
    resources = [
        Resource.objects.create(name=f"bench 工位 {i}", kind="bay", hours="09:00-15:15", weekdays="0123456", capacity=1)
        for i in range(4)
    ]
    quick = ServiceType.objects.create(name="bench 检查", slots=1)
    day = _first_open_monday(resources[0]) + timedelta(days=14)
    starts = [(r.pk, c.start) for r in resources for c in grid_mod.grid(r, day, {})]
    assert len(starts) == 100, len(starts)
    attempts = [s for s in starts for _ in range(10)]
    random.Random(7).shuffle(attempts)
    chunks = [attempts[i::n_threads] for i in range(n_threads)]
    barrier = threading.Barrier(n_threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(chunk: list[tuple[int, datetime]]) -> None:
        mine: list[str] = []
        try:
            barrier.wait()
            for rid, start in chunk:
                try:
                    services.appointment_book(
                        actor=manager, resource_id=rid, service_type_id=quick.pk, start=start, customer_id=customer.pk
                    )
                    mine.append("ok")
                except DomainError as exc:
                    mine.append(exc.code)
        finally:
            connections.close_all()
        with lock:
            outcomes.extend(mine)

    threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    slots = Slot.objects.filter(resource__in=resources)
    over = slots.filter(booked__gt=1).count()
    made = Appointment.objects.filter(resource__in=resources).count()
    codes = {c: outcomes.count(c) for c in sorted(set(outcomes))}
    print(
        f"race: {len(outcomes)} bookings of 100 slots from {n_threads} threads in {elapsed:.1f}s "
        f"({len(outcomes) / elapsed:.0f}/s): {codes}; appointments {made}, slot rows {slots.count()}, "
        f"over capacity {over}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--threads", type=int, default=50)
    args = parser.parse_args()
    print(machine_line(), connections["default"].vendor)
    _clean()
    cast = bench_cast()
    manager = cast["manager"]
    customer, _ = Customer.objects.get_or_create(name="bench 预约客户")
    bench_free(manager, customer, args.lookups)
    bench_race(manager, customer, args.threads)
    _clean()


if __name__ == "__main__":
    main()
