"""SLA benchmarks: recompute throughput, and the clock sweep when 10,000 tickets fall due at once.

    createdb / use a scratch database — this script MIGRATES it and ADDS rows:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench_sla .venv/bin/python bench/sla/sla_bench.py recompute --tickets 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench_sla .venv/bin/python bench/sla/sla_bench.py sweep --tickets 10000 --clocks 2

Bench scaffolding (tickets and their timelines) is written with bulk_create, not through the ticket
services: what is measured is the SLA code, not ticket intake.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _setup import django_setup  # noqa: E402


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def make_tickets(n: int, at: datetime, *, rich: bool) -> list[int]:
    from kefu.tickets.choices import EventKind
    from kefu.tickets.models import Ticket, TicketEvent

    stamp = int(time.time() * 1000) % 10**9
    ids: list[int] = []
    for start in range(0, n, 5000):
        batch = [
            Ticket(number=f"B{stamp}-{i}", title="bench", created_at=at, updated_at=at, status="in_progress" if rich else "new")
            for i in range(start, min(n, start + 5000))
        ]
        Ticket.objects.bulk_create(batch)
        batch_ids = [t.pk for t in batch]
        ids += batch_ids
        events = []
        for pk in batch_ids:
            events.append(TicketEvent(ticket_id=pk, kind=EventKind.CREATED, data={}, created_at=at))
            if rich:
                m = timedelta(minutes=1)
                events += [
                    TicketEvent(ticket_id=pk, kind=EventKind.ASSIGNED, data={"to": "a"}, created_at=at + 5 * m),
                    TicketEvent(ticket_id=pk, kind=EventKind.REPLIED, data={}, created_at=at + 30 * m),
                    TicketEvent(ticket_id=pk, kind=EventKind.STATUS_CHANGED,
                                data={"from": "in_progress", "to": "pending_customer"}, created_at=at + 40 * m),
                    TicketEvent(ticket_id=pk, kind=EventKind.CUSTOMER_REPLIED, data={}, created_at=at + 26 * 60 * m),
                    TicketEvent(ticket_id=pk, kind=EventKind.PRIORITY_CHANGED,
                                data={"from": "normal", "to": "normal"}, created_at=at + 27 * 60 * m),
                ]
        TicketEvent.objects.bulk_create(events, batch_size=5000)
    return ids


def recompute(args: argparse.Namespace) -> None:
    from kefu.sla.services import sla_recompute_many

    at = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)
    t0 = time.perf_counter()
    ids = make_tickets(args.tickets, at, rich=True)
    print(f"setup: {len(ids)} tickets with 6 timeline events each in {time.perf_counter() - t0:.1f} s")
    now = at + timedelta(days=3)
    for label in ("first (creates rows)", "second (rows exist)"):
        t0 = time.perf_counter()
        written = 0
        for i in range(0, len(ids), args.batch):
            written += sla_recompute_many(ids[i : i + args.batch], now=now)
        dt = time.perf_counter() - t0
        print(f"recompute {label}: {len(ids)} tickets, {written} rows written, {dt:.1f} s = {len(ids) / dt:,.0f} tickets/s"
              f"; 1,000,000 tickets ≈ {1_000_000 / (len(ids) / dt) / 60:.1f} min on one core")
        now += timedelta(minutes=1)


def sweep(args: argparse.Namespace) -> None:
    from django.db.models import Q

    from kefu.sla.config import sla_config_changed
    from kefu.sla.models import EscalationLevel, SlaPolicy, TicketSla
    from kefu.sla.services import sla_recompute_many

    # Only the first response target, no warnings and no escalation: exactly one fire per ticket.
    SlaPolicy.objects.filter(is_default=False).update(is_active=False)
    SlaPolicy.objects.filter(is_default=True).update(
        dispatch_minutes=None, next_response_minutes=None, resolution_minutes=None, first_response_minutes=60,
        warn_shares=[],
    )
    EscalationLevel.objects.all().delete()
    sla_config_changed()
    TicketSla.objects.all().delete()
    at = datetime.now(UTC) - timedelta(days=7)
    ids = make_tickets(args.tickets, at, rich=False)
    for i in range(0, len(ids), 2000):
        sla_recompute_many(ids[i : i + 2000])
    due = TicketSla.objects.filter(breach_due_at__isnull=False)
    moments = set(due.values_list("breach_due_at", flat=True).distinct()[:5])
    print(f"{due.count()} breaches due at {sorted(moments)}")
    env = dict(os.environ, KEFU_LOG_LEVEL="WARNING")
    load_before = load()
    t0 = time.perf_counter()
    clocks = [
        subprocess.Popen([sys.executable, "-m", "kefu.cli", "clock", "--idle", "0.2"], env=env)
        for _ in range(args.clocks)
    ]
    try:
        while TicketSla.objects.filter(Q(breach_due_at__isnull=False)).exists():
            time.sleep(0.2)
        dt = time.perf_counter() - t0
    finally:
        for c in clocks:
            c.terminate()
        for c in clocks:
            c.wait(30)
    from django.db.models import Max, Min

    from kefu.sla.models import SlaEvent

    events = SlaEvent.objects.filter(ticket_id__in=ids)
    fired = events.count()
    span = events.aggregate(first=Min("fired_at"), last=Max("fired_at"))
    if fired:
        print(f"first to last fire: {(span['last'] - span['first']).total_seconds():.1f} s (without clock start-up)")
    print(f"sweep: {fired} breaches fired by {args.clocks} clock process(es) in {dt:.1f} s "
          f"(incl. process start-up) = {fired / dt:,.0f}/s; {load()} (before: {load_before})")


def seed(args: argparse.Namespace) -> None:
    """Add open tickets (6 timeline events each, no SLA rows yet) for `recompute-open`: one template
    ticket written with the ORM, cloned inside PostgreSQL (INSERT ... SELECT generate_series), so a
    million tickets take minutes, not hours."""
    from django.db import connection, transaction

    from kefu.tickets.models import Ticket, TicketEvent

    at = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)
    template = make_tickets(1, at, rich=True)[0]
    t_cols = [f.column for f in Ticket._meta.concrete_fields if f.column not in ("id", "number")]
    e_cols = [f.column for f in TicketEvent._meta.concrete_fields if f.column not in ("id", "ticket_id")]
    t0 = time.perf_counter()
    done = 0
    stamp = int(time.time()) % 10**6
    while done < args.tickets:
        n = min(100_000, args.tickets - done)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO tickets_ticket (number, {', '.join(t_cols)}) "
                f"SELECT 'S{stamp}-' || (g + %s), {', '.join('t.' + c for c in t_cols)} "
                "FROM tickets_ticket t, generate_series(1, %s) g WHERE t.id = %s RETURNING id",
                [done, n, template],
            )
            ids = [r[0] for r in cur.fetchall()]
            cur.execute(
                f"INSERT INTO tickets_ticketevent (ticket_id, {', '.join(e_cols)}) "
                f"SELECT n.id, {', '.join('e.' + c for c in e_cols)} FROM unnest(%s::bigint[]) AS n(id) "
                "CROSS JOIN tickets_ticketevent e WHERE e.ticket_id = %s ORDER BY n.id, e.id",
                [ids, template],
            )
        done += n
        print(f"seed: {done} tickets in {time.perf_counter() - t0:.0f} s", flush=True)


def recompute_open(args: argparse.Namespace) -> None:
    """`kefu sla_recompute` (every open ticket) on whatever the database holds, e.g. after `seed`."""
    from django.core.management import call_command

    from kefu.sla.models import TicketSla
    from kefu.tickets.choices import OPEN_STATUSES
    from kefu.tickets.models import Ticket

    n = Ticket.objects.filter(status__in=OPEN_STATUSES).count()
    rows = TicketSla.objects.count()
    print(f"{n} open tickets, {rows} TicketSla rows before; {load()}", flush=True)
    t0 = time.perf_counter()
    call_command("sla_recompute", batch=args.batch, processes=args.processes, verbosity=2)
    dt = time.perf_counter() - t0
    print(f"recompute-open: {n} open tickets in {dt:.1f} s = {n / dt:,.0f} tickets/s with {args.processes} "
          f"process(es); {load()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("recompute")
    r.add_argument("--tickets", type=int, default=100_000)
    r.add_argument("--batch", type=int, default=1000)
    s = sub.add_parser("sweep")
    s.add_argument("--tickets", type=int, default=10_000)
    s.add_argument("--clocks", type=int, default=2)
    ro = sub.add_parser("recompute-open")
    ro.add_argument("--batch", type=int, default=1000)
    ro.add_argument("--processes", type=int, default=2)
    sd = sub.add_parser("seed")
    sd.add_argument("--tickets", type=int, default=1_000_000)
    args = parser.parse_args()
    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    {"recompute": recompute, "sweep": sweep, "seed": seed, "recompute-open": recompute_open}[args.cmd](args)


if __name__ == "__main__":
    main()
