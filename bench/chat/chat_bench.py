"""Live chat delivery under a worker kill (issue 16): 200 visitor sockets on /ws/chat/ and 20 agents
(a /ws/push/ socket each, subscribed to its chats' `conv.<id>` groups, replies through
POST /api/v1/chat/conversations/{id}/messages) against the product's ASGI server started here as
`kefu run` starts it: uvicorn, 2 workers, the Redis channel layer (KEFU_REDIS_URL).

Measured per message, by its client_id: from just before it is sent to its push arriving on the
other side's socket (stored, committed, pushed through Redis, possibly by the other worker).
At mid-run one uvicorn worker is SIGKILLed; the clients on it reconnect: a visitor says hello with
the last seq it saw and gets what it missed, an agent re-subscribes and reads
`GET …/messages?after=<last seq>`; an unacknowledged send is sent again with the same client_id.
At the end every side's received seqs are compared with the database: nothing lost, nothing doubled
(each client_id stored once, each seq delivered to a side at most once after its own dedupe, and
every stored message seen by both sides). Target: p95 < 300 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_chat KEFU_REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/chat/chat_bench.py [--seconds 40] [--visitors 200] [--agents 20]

The database is dropped and created again (PostgreSQL) or a fresh SQLite file. Only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def fresh_database() -> None:
    url = os.getenv("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return
    import psycopg

    base, _slash, name = url.rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')


def seed(n_visitors: int, n_agents: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from kefu.accounts.models import Presence, Team, User
    from kefu.accounts.services import api_token_create
    from kefu.chat import services
    from kefu.chat.models import Conversation, ConversationStatus

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - t:.0f} s", flush=True)
    team, _ = Team.objects.get_or_create(name="在线客服", defaults={"is_default": True})
    per_agent = -(-n_visitors // n_agents)
    agents = []
    for i in range(n_agents):
        u = User.objects.create(username=f"bench_chat_{i}", team=team, role="agent", presence=Presence.ONLINE)
        services.chat_set_capacity(actor=u, capacity=min(20, per_agent))
        s = SessionStore()
        s[SESSION_KEY], s[BACKEND_SESSION_KEY], s[HASH_SESSION_KEY] = (
            str(u.pk),
            settings.AUTHENTICATION_BACKENDS[0],
            u.get_session_auth_hash(),
        )
        s.create()
        _row, token = api_token_create(user=u, name="chat bench")
        agents.append(
            {
                "user": u,
                "cookie": f"{settings.SESSION_COOKIE_NAME}={s.session_key}",
                "token": token,
                "convs": [],
            }
        )
    visitors = []
    for i in range(n_visitors):
        v = services.visitor_start(name=f"访客{i}")
        conv, _created = services.conversation_open(visitor=v)
        # hand over to a person the way the queue does, then the agent takes it (the real accept)
        Conversation.objects.filter(pk=conv.pk).update(
            status=ConversationStatus.WAITING, waiting_since=timezone.now()
        )
        agent = agents[i % n_agents]
        services.conversation_accept(actor=agent["user"], conversation_id=conv.pk)
        agent["convs"].append(conv.pk)
        visitors.append({"token": services.visitor_token(v), "conv": conv.pk})
    print(f"seeded {n_agents} agents, {n_visitors} visitors in active chats", flush=True)
    return visitors, agents


class Stats:
    def __init__(self) -> None:
        self.sent_at: dict[str, float] = {}
        self.lat: list[float] = []
        self.seen_lat: set[str] = set()
        self.reconnects = 0
        self.resends = 0
        self.errors: list[str] = []
        # side -> conv -> list of seqs received (after the client's own dedupe by seq)
        self.got: dict[str, dict[int, set[int]]] = {"visitor": defaultdict(set), "agent": defaultdict(set)}
        self.dup_frames = 0

    def arrived(self, side: str, conv: int, m: dict[str, Any]) -> None:
        seqs = self.got[side][conv]
        if m["seq"] in seqs:
            self.dup_frames += 1  # a push and the catch-up both brought it: the client keeps one
            return
        seqs.add(m["seq"])
        cid = m.get("client_id") or ""
        want = "agent" if side == "visitor" else "visitor"
        if cid.startswith(want[0] + "-") and cid in self.sent_at and cid not in self.seen_lat:
            self.seen_lat.add(cid)
            self.lat.append(time.perf_counter() - self.sent_at[cid])


async def visitor_loop(
    port: int, v: dict[str, Any], n: int, st: Stats, stop: asyncio.Event, interval: float, offset: float
) -> None:
    import websockets

    conv, last, k = v["conv"], 0, 0
    pending: dict[str, str] = {}  # client_id -> body, sent and not acknowledged
    await asyncio.sleep(offset)
    while not stop.is_set():
        try:
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws/chat/", open_timeout=10) as ws:
                await ws.send(json.dumps({"type": "hello", "token": v["token"], "after": last}))
                hello = json.loads(await ws.recv())
                assert hello["type"] == "hello" and hello["conversation"] == conv, hello
                for m in hello["messages"]:
                    st.arrived("visitor", conv, m)
                    last = max(last, m["seq"])
                for cid, body in list(pending.items()):
                    st.resends += 1
                    await ws.send(json.dumps({"type": "send", "body": body, "client_id": cid}))

                async def reader() -> None:
                    nonlocal last
                    async for frame in ws:
                        d = json.loads(frame)
                        if d.get("type") == "message":
                            st.arrived("visitor", conv, d["message"])
                            last = max(last, d["message"]["seq"])
                        elif d.get("type") == "ack":
                            pending.pop(d["client_id"], None)
                        elif d.get("type") == "error":
                            st.errors.append(f"visitor {conv}: {d}")

                rtask = asyncio.create_task(reader())
                try:
                    while not stop.is_set() and not rtask.done():
                        k += 1
                        cid, body = f"v-{n}-{k}", f"访客{n}的第{k}条消息"
                        pending[cid] = body
                        st.sent_at[cid] = time.perf_counter()
                        await ws.send(json.dumps({"type": "send", "body": body, "client_id": cid}))
                        try:
                            await asyncio.wait_for(asyncio.shield(rtask), timeout=interval)
                        except TimeoutError:
                            pass
                    if stop.is_set():
                        await asyncio.sleep(2)  # the last pushes and acks
                        if pending:
                            for cid, body in list(pending.items()):
                                await ws.send(json.dumps({"type": "send", "body": body, "client_id": cid}))
                            await asyncio.sleep(1)
                        return
                    rtask.result()
                finally:
                    rtask.cancel()
        except (OSError, websockets.ConnectionClosed, TimeoutError):
            pass
        if stop.is_set() and not pending:
            return
        st.reconnects += 1
        await asyncio.sleep(0.2)


def _post(port: int, token: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn.request(
            "POST" if body is not None else "GET",
            path,
            json.dumps(body, ensure_ascii=False).encode() if body is not None else None,
            headers,
        )
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        conn.close()


async def agent_loop(
    port: int, a: dict[str, Any], n: int, st: Stats, stop: asyncio.Event, interval: float
) -> None:
    import websockets

    last: dict[int, int] = dict.fromkeys(a["convs"], 0)
    loop = asyncio.get_running_loop()

    async def sender() -> None:
        k = 0
        while not stop.is_set():
            for conv in a["convs"]:
                if stop.is_set():
                    return
                k += 1
                cid, body = f"a-{n}-{k}", f"坐席{n}的第{k}条回复"
                st.sent_at[cid] = time.perf_counter()
                for _attempt in range(20):  # the same client_id again after a connection lost at the kill
                    try:
                        status, out = await loop.run_in_executor(
                            None,
                            _post,
                            port,
                            a["token"],
                            f"/api/v1/chat/conversations/{conv}/messages",
                            {"body": body, "client_id": cid},
                        )
                        if status == 201:
                            break
                        st.errors.append(f"agent {n} send {status} {out}")
                    except (OSError, http.client.HTTPException):
                        st.resends += 1
                    await asyncio.sleep(0.2)
                await asyncio.sleep(interval / len(a["convs"]))

    stask = asyncio.create_task(sender())
    while True:
        try:
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/ws/push/",
                open_timeout=10,
                additional_headers={"Cookie": a["cookie"], "Origin": f"http://127.0.0.1:{port}"},
            ) as ws:
                assert json.loads(await ws.recv())["type"] == "hello"
                for conv in a["convs"]:
                    await ws.send(json.dumps({"type": "subscribe", "topic": f"conv.{conv}"}))
                subscribed = 0
                early: list[dict[str, Any]] = []
                while subscribed < len(a["convs"]):
                    d = json.loads(await ws.recv())
                    if d.get("type") == "subscribed":
                        subscribed += 1
                    elif d.get("type") == "refused":
                        st.errors.append(f"agent {n} refused {d}")
                        subscribed += 1
                    elif d.get("type") == "message":
                        early.append(d)
                # catch up: what was stored before the first subscribe, or while the socket was down
                if a["convs"]:
                    for conv in a["convs"]:
                        status, out = await loop.run_in_executor(
                            None,
                            _post,
                            port,
                            a["token"],
                            f"/api/v1/chat/conversations/{conv}/messages?after={last[conv]}",
                        )
                        for m in out["messages"]:
                            st.arrived("agent", conv, m)
                            last[conv] = max(last[conv], m["seq"])
                for d in early:
                    st.arrived("agent", d["conversation"], d["message"])
                    last[d["conversation"]] = max(last[d["conversation"]], d["message"]["seq"])
                while True:
                    if stop.is_set() and stask.done():
                        await asyncio.sleep(2)
                        for conv in a["convs"]:  # a final read: what a push did not bring
                            status, out = await loop.run_in_executor(
                                None,
                                _post,
                                port,
                                a["token"],
                                f"/api/v1/chat/conversations/{conv}/messages?after={last[conv]}",
                            )
                            for m in out["messages"]:
                                st.arrived("agent", conv, m)
                        return
                    try:
                        frame = await asyncio.wait_for(ws.recv(), timeout=0.5)
                    except TimeoutError:
                        continue
                    d = json.loads(frame)
                    if d.get("type") == "message":
                        st.arrived("agent", d["conversation"], d["message"])
                        last[d["conversation"]] = max(last[d["conversation"]], d["message"]["seq"])
        except (OSError, websockets.ConnectionClosed, TimeoutError, KeyError):
            st.reconnects += 1
            await asyncio.sleep(0.2)


def workers_of(master: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=,args=", "--ppid", str(master)], capture_output=True, text=True
    ).stdout
    return [
        int(line.split()[0]) for line in out.splitlines() if "resource_tracker" not in line and line.strip()
    ]


async def run(
    args: argparse.Namespace,
    port: int,
    master: int,
    visitors: list[dict[str, Any]],
    agents: list[dict[str, Any]],
) -> tuple[Stats, float, int | None]:
    st = Stats()
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(
            visitor_loop(
                port, v, i, st, stop, args.visitor_interval, offset=args.visitor_interval * i / len(visitors)
            )
        )
        for i, v in enumerate(visitors)
    ]
    tasks += [
        asyncio.create_task(agent_loop(port, a, i, st, stop, args.agent_interval))
        for i, a in enumerate(agents)
    ]
    t0 = time.perf_counter()
    await asyncio.sleep(args.seconds / 2)
    killed = None
    workers = workers_of(master)
    if workers:
        killed = workers[0]
        os.kill(killed, signal.SIGKILL)
        print(f"t={time.perf_counter() - t0:.1f}s SIGKILL worker {killed} (of {workers})", flush=True)
    await asyncio.sleep(args.seconds / 2)
    stop.set()
    await asyncio.wait(tasks, timeout=60)
    return st, time.perf_counter() - t0, killed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument(
        "--visitor-interval", type=float, default=5.0, help="seconds between a visitor's messages"
    )
    parser.add_argument(
        "--agent-interval",
        type=float,
        default=10.0,
        help="seconds between an agent's replies in each of its chats",
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kefu-chat-bench-"))
    os.environ.setdefault("KEFU_DATA_DIR", str(tmp / "data"))
    os.environ.setdefault("KEFU_LOG_LEVEL", "ERROR")
    os.environ.setdefault("KEFU_REDIS_URL", "redis://127.0.0.1:6379/5")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    os.environ["KEFU_CHAT_RATE_PER_MINUTE"] = os.environ.get("KEFU_CHAT_RATE_PER_MINUTE", "60")
    fresh_database()
    import django

    django.setup()
    from django.core.cache import cache

    cache.clear()  # rate-limit counters of an earlier run live in Redis
    visitors, agents = seed(args.visitors, args.agents)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "kefu.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        start_new_session=True,
    )
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(2)  # both workers up
        load0 = os.getloadavg()
        st, wall, killed = asyncio.run(run(args, port, server.pid, visitors, agents))
        load1 = os.getloadavg()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    report(args, st, wall, killed, load0, load1, visitors, agents)


def report(
    args: argparse.Namespace,
    st: Stats,
    wall: float,
    killed: int | None,
    load0: tuple[float, ...],
    load1: tuple[float, ...],
    visitors: list[dict[str, Any]],
    agents: list[dict[str, Any]],
) -> None:
    from django.db.models import Count

    from kefu.chat.models import ChatMessage

    convs = [v["conv"] for v in visitors]
    rows = list(
        ChatMessage.objects.filter(conversation_id__in=convs).values_list(
            "conversation_id", "seq", "client_id", "internal"
        )
    )
    stored_cids = [r[2] for r in rows if r[2]]
    doubled = len(stored_cids) - len(set(stored_cids))
    doubled += (
        ChatMessage.objects.filter(conversation_id__in=convs)
        .values("conversation_id", "seq")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    sent = set(st.sent_at)
    never_stored = sent - set(stored_cids)
    lost_visitor = lost_agent = 0
    for conv, seq, _cid, internal in rows:
        if not internal and seq not in st.got["visitor"][conv]:
            lost_visitor += 1
        if seq not in st.got["agent"][conv]:
            lost_agent += 1
    db = "PostgreSQL" if os.getenv("DATABASE_URL", "").startswith("postgres") else "SQLite"
    n_msgs = len(stored_cids)
    print(
        f"{db}, {args.workers} uvicorn workers + Redis layer; {len(visitors)} visitor sockets, {len(agents)} agents;"
        f" {wall:.1f} s; load average {load0[0]:.1f} at start, {load1[0]:.1f} at end"
    )
    print(
        f"messages sent {len(sent)} ({n_msgs / wall:.1f}/s), stored {n_msgs}; SIGKILL of worker {killed}; "
        f"{st.reconnects} reconnects, {st.resends} resends, {st.dup_frames} frames seen twice (deduped by seq)"
    )
    print(
        f"lost: never stored {len(never_stored)}, not delivered to the visitor {lost_visitor}, "
        f"to the agent {lost_agent}; doubled in the database {doubled}; errors {len(st.errors)}"
    )
    for e in st.errors[:5]:
        print("  ", e)
    if st.lat:
        print(
            f"delivery (send → stored → pushed to the other side), {len(st.lat)} messages, ms: "
            f"p50 {statistics.median(st.lat) * 1000:.0f}  p95 {pct(st.lat, 95) * 1000:.0f}  "
            f"p99 {pct(st.lat, 99) * 1000:.0f}  max {max(st.lat) * 1000:.0f}"
        )
    ok = not never_stored and not lost_visitor and not lost_agent and not doubled
    print("NOTHING LOST OR DOUBLED" if ok else "FAILED: messages lost or doubled")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
