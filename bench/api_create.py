"""Ticket creation through the JSON API against the production server (gunicorn, kefu.wsgi,
DEBUG off) on 127.0.0.1: throughput and latency.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench \
        .venv/bin/python bench/api_create.py --workers 4 --threads 1 closed --clients 16 --duration 20
    DATABASE_URL=... .venv/bin/python bench/api_create.py --workers 4 open --rate 150 --duration 20

The script starts gunicorn itself on --port with the given workers/threads, waits until
/api/v1/openapi.json lists /api/v1/tickets/, warms every worker up (jieba's dictionary loads on
the first create), runs, and stops the server it started. `--url` uses a running server instead.

closed: --clients threads each send the next create as soon as the last one answered (maximum
throughput). open: creates are scheduled at a fixed --rate whatever the answers do, and latency is
measured from the scheduled time, so queueing shows (no coordinated omission). Both stop after
--duration seconds or --max-requests requests. The client is stdlib http.client with keep-alive.
Every request has a distinct title and a customer phone from the loaded pool (90%) or a new one.
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
import urllib.request

from _setup import ROOT, bench_cast, django_setup, machine_line, percentile, summary

TITLES = ["宽带无法上网", "退款一直不到账", "空调不制冷", "发票开具错误", "订单物流查询", "快递员态度恶劣", "套餐变更咨询"]
DESCRIPTIONS = [
    "客户来电反映问题已经持续{n}天，多次联系未解决，要求尽快处理。",
    "客户通过接口提交，订单号{n}，请核实后回电。",
    "客户表示第{n}次来电，情绪比较激动，希望今天给答复。",
]


def payload(rnd: random.Random, i: int) -> bytes:
    k = rnd.randrange(100_000) if rnd.random() < 0.9 else 10_000_000 + rnd.randrange(10**7)
    prefixes = ["138", "139", "137", "150", "151", "186", "185", "177", "133", "189"]
    body = {
        "title": f"{rnd.choice(TITLES)}（压测{i}）",
        "description": rnd.choice(DESCRIPTIONS).format(n=rnd.randint(1, 10**9)),
        "kind": rnd.choice(["inquiry", "complaint", "repair"]),
        "channel": "api",
        "priority": rnd.choice(["normal", "normal", "high"]),
        "customer": {"name": "压测客户", "phone": f"{prefixes[k % 10]}{k:08d}"},
    }
    return json.dumps(body, ensure_ascii=False).encode()


class Target:
    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.local = threading.local()

    def post(self, body: bytes) -> int:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("POST", "/api/v1/tickets/", body=body, headers=self.headers)
            resp = conn.getresponse()
            resp.read()
            return resp.status
        except (OSError, http.client.HTTPException):
            conn.close()
            self.local.conn = None
            return 599


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime per process (Linux /proc), in seconds; processes that are gone are left out."""
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return out


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two samples by the processes alive at the second one (new ones count from 0).
    A process that exited in between is lost: the figure can only err low."""
    return sum(max(0.0, t - before.get(pid, 0.0)) for pid, t in after.items())


def session_pids(sid: int) -> list[int]:
    """The gunicorn master and its workers: everything in the session the script started."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid:
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def db_backend_pids() -> list[int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        return [r[0] for r in cur.fetchall()]


def wait_ready(base: str, server: subprocess.Popen | None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=2) as r:
                if "/api/v1/tickets/" in r.read().decode():
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{base} did not serve /api/v1/openapi.json with /api/v1/tickets/ in {timeout}s")


def run_closed(target: Target, clients: int, duration: float, max_requests: int) -> tuple[list[float], dict[int, int], float]:
    lat: list[float] = []
    codes: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(max_requests))
    stop_at = time.perf_counter() + duration

    def client(seed: int) -> None:
        rnd = random.Random(seed)
        while time.perf_counter() < stop_at:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            body = payload(rnd, i)
            t = time.perf_counter()
            code = target.post(body)
            ms = (time.perf_counter() - t) * 1000
            with lock:
                lat.append(ms)
                codes[code] = codes.get(code, 0) + 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(s,)) for s in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return lat, codes, time.perf_counter() - started


def run_open(target: Target, rate: float, duration: float, max_requests: int, senders: int) -> tuple[list[float], dict[int, int], float]:
    lat: list[float] = []
    codes: dict[int, int] = {}
    lock = threading.Lock()
    work: queue.Queue[tuple[float, bytes] | None] = queue.Queue()
    total = min(int(rate * duration), max_requests)

    def sender() -> None:
        while (item := work.get()) is not None:
            scheduled, body = item
            code = target.post(body)
            ms = (time.perf_counter() - scheduled) * 1000  # from when it should have gone out
            with lock:
                lat.append(ms)
                codes[code] = codes.get(code, 0) + 1

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for th in threads:
        th.start()
    rnd = random.Random(7)
    start = time.perf_counter() + 0.2
    for i in range(total):
        scheduled = start + i / rate
        body = payload(rnd, i)
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        work.put((scheduled, body))
    for _ in threads:
        work.put(None)
    for th in threads:
        th.join()
    return lat, codes, time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8000 (default: start gunicorn)")
    p.add_argument("--port", type=int, default=0, help="default: a free port")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--user", default="bench_agent1")
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--max-requests", type=int, default=20_000)
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("closed")
    c.add_argument("--clients", type=int, default=16)
    c.add_argument("--duration", type=float, default=20)
    o = sub.add_parser("open")
    o.add_argument("--rate", type=float, default=150)
    o.add_argument("--duration", type=float, default=20)
    o.add_argument("--senders", type=int, default=64)
    args = p.parse_args()

    django_setup()
    from django.conf import settings

    from kefu.accounts.models import User
    from kefu.accounts.services import api_token_create
    from kefu.tickets.models import Ticket

    if settings.DEBUG:
        raise SystemExit("DEBUG must be off")
    bench_cast()
    _row, token = api_token_create(user=User.objects.get(username=args.user), name="bench")
    before = Ticket.objects.count()

    server = None
    base = args.url
    if not base:
        port = args.port or free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "DEBUG": "False"}
        cmd = [
            str(ROOT / ".venv/bin/gunicorn"), "kefu.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", str(args.workers), "--threads", str(args.threads),
            "--worker-class", "gthread" if args.threads > 1 else "sync",
            "--log-level", "warning", "--chdir", str(ROOT), "--backlog", "2048",
        ]
        server = subprocess.Popen(cmd, env=env, start_new_session=True)
        print("# server: " + " ".join(cmd[1:]))
    try:
        wait_ready(base, server)
        host, port = base.split("://")[1].split(":")
        target = Target(host, int(port), token)
        warm, _codes, _ = run_closed(target, max(args.workers * args.threads, 4), 60, args.warmup)
        if _codes.get(201, 0) != len(warm):
            raise SystemExit(f"warm-up answered {_codes}; is the API working?")
        print(f"# {machine_line()}")
        print(f"# tickets before: {before}; warm-up {len(warm)} creates, p50 {percentile(warm, 50):.1f}ms")
        # CPU actually spent per create, by the app server and by PostgreSQL: on a shared box this
        # is the figure that does not depend on the neighbours (the ceiling is cores / CPU per create).
        app_cpu0 = cpu_seconds(session_pids(server.pid)) if server is not None else {}
        pg_cpu0 = cpu_seconds(db_backend_pids()) if server is not None else {}
        if args.mode == "closed":
            lat, codes, elapsed = run_closed(target, args.clients, args.duration, args.max_requests)
            what = f"closed loop, {args.clients} clients"
        else:
            lat, codes, elapsed = run_open(target, args.rate, args.duration, args.max_requests, args.senders)
            what = f"open loop at {args.rate:g}/s"
        ok = codes.get(201, 0)
        if server is not None and ok:
            app_ms = cpu_delta(app_cpu0, cpu_seconds(session_pids(server.pid))) * 1000 / ok
            pg_ms = cpu_delta(pg_cpu0, cpu_seconds(db_backend_pids())) * 1000 / ok
            print(
                f"# CPU per create: gunicorn {app_ms:.1f}ms + PostgreSQL {pg_ms:.1f}ms "
                f"-> ceiling on {os.cpu_count()} idle cores ~{os.cpu_count() * 1000 / (app_ms + pg_ms):.0f} creates/s "
                f"(the client's own CPU not counted)"
            )
        print(
            f"{what}, gunicorn {args.workers}w x {args.threads}t: {ok} created in {elapsed:.1f}s = "
            f"{ok / elapsed:.0f} creates/s; latency {summary(lat)}; status codes {dict(sorted(codes.items()))}"
        )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)  # the process group of the gunicorn we started
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
