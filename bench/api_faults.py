"""Nothing lost under load and faults (issue 13): API creates on a schedule while a gunicorn worker
is SIGKILLed and PostgreSQL's connections are cut, then an audit of what the database holds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench \
        .venv/bin/python bench/api_faults.py --rate 150 --duration 60 --senders 16

The script starts gunicorn (kefu.wsgi, DEBUG off) with --workers sync workers, sends creates at a
fixed --rate from --senders client threads, each with its own Idempotency-Key. A client retries a
failed request (connection reset, 5xx) with the same key and body until it gets an answer, up to
--attempts times. At 1/3 of the run one worker is SIGKILLed (the master starts a new one); at 2/3
every PostgreSQL connection of the app is cut with pg_terminate_backend. Then the audit:

- every create answered 2xx exists exactly once, under the number the answer gave;
- no retry made a second ticket (each bench title is unique: a duplicate title is a duplicate);
- every new ticket has its `created` event, its SLA clocks and a dispatch decision (or waits,
  unassigned, in the queue of a team);
- the agents' open-ticket counters agree with a recount (`kefu dispatch_loads`);
- 5xx answers are counted apart for the moments around each fault and for the rest of the run.

kefu/tests/test_faults.py runs the same engine for a few seconds on the test database.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _setup import ROOT, bench_cast, django_setup, machine_line, summary  # noqa: E402
from api_create import free_port, payload, wait_ready  # noqa: E402


@dataclass
class Outcome:
    key: str
    title: str
    body: bytes = b""
    status: int = 0  # the last answer: 201, a 4xx, or 599 when every attempt failed
    number: str = ""
    attempts: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, status)


@dataclass
class Fault:
    at: float  # seconds since start
    name: str
    action: Callable[[], str]
    done_at: float | None = None
    said: str = ""


class KeyedClient:
    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.token = token
        self.local = threading.local()

    def post(self, body: bytes, key: str) -> tuple[int, dict[str, Any]]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json", "Idempotency-Key": key}
        try:
            conn.request("POST", "/api/v1/tickets/", body=body, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            self.local.conn = None
            return 599, {}
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        if resp.status >= 500:
            conn.close()  # a fresh connection for the retry, as a careful client would
            self.local.conn = None
        return resp.status, data


def gunicorn_workers(master: int) -> list[int]:
    """The master's children (its workers), from /proc."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            out.append(int(entry))
    return sorted(out)


def kill_one_worker(master: int) -> Callable[[], str]:
    def act() -> str:
        workers = gunicorn_workers(master)
        if not workers:
            return "no worker found"
        os.kill(workers[0], signal.SIGKILL)
        return f"SIGKILL worker {workers[0]} of {len(workers)}"

    return act


def cut_database_connections() -> str:
    """pg_terminate_backend on every other client connection to this database (the app's)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        n = len(cur.fetchall())
    return f"terminated {n} PostgreSQL connections"


def run(
    client: KeyedClient, *, rate: float, duration: float, senders: int, attempts: int, faults: list[Fault], seed: int = 11
) -> tuple[list[Outcome], float]:
    """Send rate*duration creates on schedule; each retried with its key until answered."""
    total = int(rate * duration)
    rnd = random.Random(seed)
    run_id = uuid.uuid4().hex[:8]
    work: queue.Queue[Outcome | None] = queue.Queue()
    outcomes: list[Outcome] = []
    start = time.perf_counter() + 0.2

    def sender() -> None:
        while (o := work.get()) is not None:
            for n in range(attempts):
                status, data = client.post(o.body, o.key)
                o.attempts.append((time.perf_counter() - start, status))
                o.status = status
                if status < 500:
                    o.number = str(data.get("number", ""))
                    break
                time.sleep(min(0.05 * 2**n, 1.0))

    def fault_runner() -> None:
        for f in sorted(faults, key=lambda f: f.at):
            delay = start + f.at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            f.said = f.action()
            f.done_at = time.perf_counter() - start

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for th in threads:
        th.start()
    ft = threading.Thread(target=fault_runner)
    ft.start()
    for i in range(total):
        body = json.loads(payload(rnd, i))
        body["title"] = f"{body['title']}#{run_id}-{i}"
        o = Outcome(key=f"{run_id}-{i}", title=body["title"], body=json.dumps(body, ensure_ascii=False).encode())
        outcomes.append(o)
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        work.put(o)
    for _ in threads:
        work.put(None)
    for th in threads:
        th.join()
    ft.join()
    return outcomes, time.perf_counter() - start


def audit(outcomes: list[Outcome], *, after_id: int) -> dict[str, Any]:
    """What the database holds for the run's tickets (id > after_id), against what the clients heard."""
    from django.db.models import Count, Exists, OuterRef

    from kefu.dispatch.models import DispatchDecision
    from kefu.dispatch.selectors import agent_loads_drift
    from kefu.sla.models import TicketSla
    from kefu.tickets.choices import EventKind, TicketStatus
    from kefu.tickets.models import Ticket, TicketEvent

    tickets = Ticket.objects.filter(id__gt=after_id)
    by_title: dict[str, list[str]] = {}
    for title, number in tickets.values_list("title", "number"):
        by_title.setdefault(title, []).append(number)
    answered = [o for o in outcomes if 200 <= o.status < 300]
    missing = [o.key for o in answered if o.number not in by_title.get(o.title[:200], [])]
    duplicates = {t: ns for t, ns in by_title.items() if len(ns) > 1}
    unanswered_but_created = [o.key for o in outcomes if o.status >= 300 and o.title[:200] in by_title]
    annotated = tickets.annotate(
        has_created=Exists(TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=EventKind.CREATED)),
        has_sla=Exists(TicketSla.objects.filter(ticket=OuterRef("pk"))),
        has_decision=Exists(DispatchDecision.objects.filter(ticket=OuterRef("pk"))),
    )
    no_created = list(annotated.filter(has_created=False).values_list("number", flat=True))
    no_sla = list(annotated.filter(has_sla=False).values_list("number", flat=True))
    undispatched = list(
        annotated.filter(has_decision=False)
        .exclude(status=TicketStatus.NEW, team__isnull=False, assignee__isnull=True)
        .values_list("number", flat=True)
    )
    # After-commit reactions that met the cut were stored for the clock: run them again now, as the
    # clock would, and count what still fails.
    from kefu.tickets.models import ReactionFailure
    from kefu.tickets.reactions import failure_retry

    stored = list(ReactionFailure.objects.filter(ticket_id__gt=after_id, resolved_at__isnull=True).values_list("id", flat=True))
    still_failing = [fid for fid in stored if not failure_retry(failure_id=fid)]
    events_per_kind = dict(
        TicketEvent.objects.filter(ticket_id__gt=after_id, kind=EventKind.CREATED)
        .values("ticket_id").annotate(n=Count("id")).filter(n__gt=1).values_list("ticket_id", "n")
    )
    return {
        "sent": len(outcomes),
        "answered_2xx": len(answered),
        "gave_up": sum(1 for o in outcomes if o.status >= 500),
        "answered_4xx": sum(1 for o in outcomes if 400 <= o.status < 500),
        "tickets": sum(len(ns) for ns in by_title.values()),
        "missing": missing,
        "duplicates": duplicates,
        "created_without_2xx": unanswered_but_created,
        "no_created_event": no_created,
        "double_created_event": events_per_kind,
        "no_sla": no_sla,
        "undispatched": undispatched,
        "load_drift": agent_loads_drift(),
        "reactions_stored_for_retry": len(stored),
        "reactions_failing_after_retry": still_failing,
        "retried": sum(1 for o in outcomes if len(o.attempts) > 1),
        "replayed_after_retry": sum(1 for o in outcomes if len(o.attempts) > 1 and 200 <= o.status < 300),
    }


def failures_by_window(outcomes: list[Outcome], faults: list[Fault], window: float) -> dict[str, dict[int, int]]:
    """5xx / connection failures (599) per attempt, by status: within `window` seconds after a
    fault, or elsewhere. Empty windows are left out."""
    counts: dict[str, dict[int, int]] = {}
    for o in outcomes:
        for t, status in o.attempts:
            if status < 500:
                continue
            near = next((f.name for f in faults if f.done_at is not None and f.done_at - 0.5 <= t <= f.done_at + window), None)
            by_status = counts.setdefault(near or "elsewhere", {})
            by_status[status] = by_status.get(status, 0) + 1
    return counts


def problems(report: dict[str, Any]) -> list[str]:
    """The audit's findings that mean something was lost or doubled (empty: nothing)."""
    keys = ["missing", "duplicates", "no_created_event", "double_created_event", "no_sla", "undispatched", "load_drift",
            "reactions_failing_after_retry"]
    return [f"{k}: {report[k]!r}"[:400] for k in keys if report[k]]


def warm_up(client: KeyedClient, workers: int) -> None:
    """Every worker loads jieba's dictionary and its caches before the clock starts."""
    for i in range(workers * 8):
        status, _ = client.post(json.dumps({"title": f"预热 {i}", "kind": "inquiry"}, ensure_ascii=False).encode(), uuid.uuid4().hex)
        if status != 201:
            raise SystemExit(f"warm-up create answered {status}; is the API working?")


def start_gunicorn(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [
        str(ROOT / ".venv/bin/gunicorn"), "kefu.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", "sync", "--log-level", "error", "--chdir", str(ROOT), "--backlog", "2048",
    ]
    return subprocess.Popen(cmd, env={**os.environ, "DEBUG": "False", **env}, start_new_session=True)


def stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--rate", type=float, default=150)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--senders", type=int, default=16)
    p.add_argument("--attempts", type=int, default=8)
    p.add_argument("--user", default="bench_agent1")
    args = p.parse_args()

    django_setup()
    from django.conf import settings
    from django.db import connection

    from kefu.accounts.models import User
    from kefu.accounts.services import api_token_create
    from kefu.tickets.models import Ticket

    if connection.vendor != "postgresql":
        raise SystemExit("this bench cuts PostgreSQL connections: set DATABASE_URL to a PostgreSQL database")
    if settings.DEBUG:
        raise SystemExit("DEBUG must be off")
    bench_cast()
    _row, token = api_token_create(user=User.objects.get(username=args.user), name="faults")
    after_id = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    port = free_port()
    server = start_gunicorn(port, args.workers, {})
    try:
        wait_ready(f"http://127.0.0.1:{port}", server)
        client = KeyedClient("127.0.0.1", port, token)
        warm_up(client, args.workers)
        after_id = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
        faults = [
            Fault(args.duration / 3, "worker SIGKILL", kill_one_worker(server.pid)),
            Fault(2 * args.duration / 3, "pg_terminate_backend", cut_database_connections),
        ]
        print(f"# {machine_line()}")
        outcomes, elapsed = run(
            client, rate=args.rate, duration=args.duration, senders=args.senders, attempts=args.attempts, faults=faults
        )
    finally:
        stop(server)
    connection.close()  # the cut took this process's own connection too
    for f in faults:
        print(f"# fault at {f.done_at:.1f}s: {f.name}: {f.said}")
    first = [o.attempts[0] for o in outcomes if o.attempts]
    lat = [t for t in (o.attempts[-1][0] - o.attempts[0][0] for o in outcomes if len(o.attempts) > 1)]
    report = audit(outcomes, after_id=after_id)
    print(
        f"{len(outcomes)} creates at {args.rate:g}/s over {elapsed:.1f}s from {args.senders} clients, gunicorn "
        f"{args.workers} sync workers; first attempts {len(first)}, retried {report['retried']} "
        f"(retry spans {summary([x * 1000 for x in lat]) if lat else 'none'})"
    )
    print(f"5xx/connection failures by window (2 s after each fault): {failures_by_window(outcomes, faults, 2.0)}")
    shown = {k: (len(v) if isinstance(v, list | dict) else v) for k, v in report.items()}
    print(f"audit: {shown}")
    found = problems(report)
    print("NOTHING LOST: every 2xx once, no duplicate, every ticket with its event, SLA and dispatch, loads agree"
          if not found else "PROBLEMS:\n  " + "\n  ".join(found))
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
