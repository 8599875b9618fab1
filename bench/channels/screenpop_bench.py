"""Screen pop latency (issue 17): signed CTI events posted over HTTP to a real uvicorn serving
kefu.asgi, and the agents' browsers stood in for by WebSocket clients on /ws/push/ (session
cookies). Measured per ringing event: from just before the POST is sent to the `call.pop` frame
arriving on the agent's socket (event in → push out, through the database commit). Target: p95
< 1 s while the CTI posts 50 call events/s (each call: ringing, answered, ended, wrapup).

    .venv/bin/python bench/channels/screenpop_bench.py [--rate 50] [--seconds 30] [--agents 10]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_cti .venv/bin/python bench/channels/screenpop_bench.py

Without DATABASE_URL it uses a fresh SQLite database in a temporary KEFU_DATA_DIR. One uvicorn
worker (the in-memory channel layer lives in one process; with KEFU_REDIS_URL several could).
The request loop is bounded (rate × seconds events) and only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50, help="call events per second (all kinds)")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--agents", type=int, default=10)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kefu-cti-bench-"))
    os.environ.setdefault("KEFU_DATA_DIR", str(tmp / "data"))
    os.environ.setdefault("KEFU_LOG_LEVEL", "ERROR")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    os.environ["KEFU_TASKS_BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from kefu.accounts.models import Team, User
    from kefu.channels.cti import CtiAccountInput, cti_account_save
    from kefu.customers.services import customer_create
    from kefu.tickets.services import TicketInput, ticket_create

    call_command("migrate", verbosity=0)
    stamp = int(time.time())
    team, _ = Team.objects.get_or_create(name="一线客服", defaults={"is_default": True})
    manager, _ = User.objects.get_or_create(username="bench_cti_manager", defaults={"role": "manager"})
    agents = []
    for i in range(args.agents):
        u, _ = User.objects.get_or_create(username=f"bench_cti_{i}", defaults={"team": team, "role": "agent"})
        agents.append(u)
    phones = []
    for i in range(50):
        phone = f"139{stamp % 10000:04d}{i:04d}"
        c = customer_create(actor=None, name=f"压测客户{i}", phones=[phone])
        ticket_create(actor=agents[i % len(agents)], data=TicketInput(title=f"信用卡咨询 {i}", customer=c))
        phones.append(phone)
    secret = "bench-cti-secret-0123456789"
    account = cti_account_save(actor=manager, data=CtiAccountInput(name=f"bench cti {stamp}", secret=secret, team=team))
    cookies = {}
    for u in agents:
        s = SessionStore()
        s[SESSION_KEY], s[BACKEND_SESSION_KEY], s[HASH_SESSION_KEY] = str(u.pk), settings.AUTHENTICATION_BACKENDS[0], u.get_session_auth_hash()
        s.create()
        cookies[u.pk] = f"{settings.SESSION_COOKIE_NAME}={s.session_key}"

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "kefu.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=os.environ.copy(),
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        result = asyncio.run(run(args, port, account.pk, secret, agents, cookies, phones))
    finally:
        server.terminate()
        server.wait(timeout=10)
    sent_at, popped_at, errors, wall = result
    lat = [popped_at[k] - sent_at[k] for k in sent_at if k in popped_at]
    missing = len(sent_at) - len(lat)
    db = "PostgreSQL" if os.getenv("DATABASE_URL", "").startswith("postgres") else "SQLite"
    n_events = sum(1 for _ in sent_at) * 4
    print(f"{db}: {len(sent_at)} calls, ~{n_events} events in {wall:.1f} s ({n_events / wall:.1f} events/s), "
          f"{errors} refused, {missing} pops missing")
    if lat:
        print(f"screen pop latency (ms): p50 {statistics.median(lat) * 1000:.0f}  p95 {pct(lat, 95) * 1000:.0f}  "
              f"p99 {pct(lat, 99) * 1000:.0f}  max {max(lat) * 1000:.0f}")


async def run(args, port, account_id, secret, agents, cookies, phones):  # type: ignore[no-untyped-def]
    import websockets

    from kefu.channels import signing

    popped_at: dict[str, float] = {}
    sockets = []
    for u in agents:
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws/push/", additional_headers={
            "Cookie": cookies[u.pk], "Origin": f"http://127.0.0.1:{port}"})
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello
        sockets.append(ws)

    async def listen(ws) -> None:  # type: ignore[no-untyped-def]
        try:
            async for frame in ws:
                d = json.loads(frame)
                if d.get("type") == "call.pop":
                    popped_at.setdefault(d["call_id"], time.perf_counter())
        except websockets.ConnectionClosed:
            pass

    listeners = [asyncio.create_task(listen(ws)) for ws in sockets]
    sent_at: dict[str, float] = {}
    errors = [0]
    total_calls = int(args.rate * args.seconds / 4)
    interval = 4 / args.rate  # one call = 4 events

    def sender() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        t0 = time.perf_counter()
        for n in range(total_calls):
            cid = f"b{n}"
            agent = agents[n % len(agents)].username
            events = [
                {"type": "ringing", "caller": phones[n % len(phones)], "agent": agent, "queue": "信用卡"},
                {"type": "answered", "agent": agent}, {"type": "ended"}, {"type": "wrapup", "wrap_seconds": 20},
            ]
            for k, e in enumerate(events):
                due = t0 + n * interval + k * interval / 4
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                body = json.dumps({"event_id": f"{cid}-{k}", "call_id": cid, **e}, ensure_ascii=False).encode()
                headers = {"Content-Type": "application/json", **signing.signed_headers(account_id, secret, body)}
                if k == 0:
                    sent_at[cid] = time.perf_counter()
                conn.request("POST", "/api/v1/channels/calls/events", body, headers)
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    errors[0] += 1

    start = time.perf_counter()
    thread = threading.Thread(target=sender)
    thread.start()
    while thread.is_alive():
        await asyncio.sleep(0.05)
    wall = time.perf_counter() - start
    await asyncio.sleep(2)  # the last pops
    for ws in sockets:
        await ws.close()
    for t in listeners:
        t.cancel()
    return sent_at, popped_at, errors[0], wall


if __name__ == "__main__":
    main()
