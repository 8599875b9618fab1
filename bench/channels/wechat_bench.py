"""WeChat intake (issue 17): the callback answered in < 100 ms p95 at 100 requests/s (the work
happens in the task), and how long a message takes from the callback to its ticket.

A real web server (gunicorn, the WSGI app, `--workers`), the database task backend, `db_worker`
processes beside it, and a local stand-in for Tencent's API (kefu/channels/tests/wechat_server.py)
answering the phone question first contacts get. The load is open-loop: requests leave on a fixed
schedule (--rate per second for --seconds) whatever the answers do, each one a safe-mode (AES)
text message signed as WeChat signs it, from one of --users followers (so later messages thread
onto the follower's ticket); one in ten is a retry of an earlier MsgId (WeChat retries).

    .venv/bin/python bench/channels/wechat_bench.py [--rate 100] [--seconds 20] [--workers 2] [--task-workers 1]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_wechat .venv/bin/python bench/channels/wechat_bench.py

Printed: callback latency p50/p95/p99 and errors; then, once the workers drained the queue,
callback → ticket p50/p95 (Contact.received_at → processed_at) and the processing rate.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TOKEN = "benchcallbacktoken"
AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TEXTS = ["我的快递三天没动了", "退款什么时候到账？", "会员积分怎么兑换", "订单号 WX2026120%d 能改地址吗", "客服在吗", "发票怎么开"]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--task-workers", type=int, default=1, help="db_worker processes")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kefu-wechat-bench-"))
    env = dict(os.environ)
    env.setdefault("KEFU_DATA_DIR", str(tmp / "data"))
    env["KEFU_TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    env.setdefault("KEFU_LOG_LEVEL", "ERROR")
    env.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    os.environ.update(env)
    import django

    django.setup()
    import httpx
    from django.core.management import call_command

    from kefu.accounts.models import Team, User
    from kefu.channels import wechat
    from kefu.channels.models import Contact
    from kefu.channels.tests.servers import free_port
    from kefu.channels.tests.wechat_server import tencent_server
    from kefu.channels.wechat_services import WechatAccountInput, account_save
    from kefu.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    with tencent_server() as tencent:
        team, _ = Team.objects.get_or_create(name="一线客服", defaults={"is_default": True})
        manager, _ = User.objects.get_or_create(username="bench_wechat_manager", defaults={"role": "manager"})
        account = account_save(actor=manager, data=WechatAccountInput(
            name=f"bench {time.time()}", platform="oa", app_id=tencent.app_id, api_base=tencent.url,
            app_secret=tencent.secret, token=TOKEN, aes_key=AES, team=team,
        ))
        django.db.connections.close_all()
        port = free_port()
        py = str(ROOT / ".venv/bin/python")
        web = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "kefu.wsgi:application", "-b", f"127.0.0.1:{port}", "--workers", str(args.workers),
             "--threads", str(args.threads), "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )
        workers = [
            subprocess.Popen([py, "manage.py", "db_worker", "--interval", "0.05", "--no-startup-delay", "--worker-id", f"bench{i}"],
                             cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for i in range(args.task_workers)
        ]
        try:
            url = f"http://127.0.0.1:{port}/channels/wechat/{account.pk}/callback"
            for _ in range(100):
                try:
                    httpx.get(url, timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            n = int(args.rate * args.seconds)
            rnd = random.Random(17)
            bodies: list[tuple[str, bytes]] = []
            sent_ids: list[int] = []
            for i in range(n):
                if i > 20 and rnd.random() < 0.1:
                    msg_id = rnd.choice(sent_ids)  # a WeChat retry
                else:
                    msg_id = 10_000_000 + i
                    sent_ids.append(msg_id)
                user = f"oBench{rnd.randrange(args.users):022d}"
                text = rnd.choice(TEXTS).replace("%d", str(i % 10))
                plain = wechat.build_xml({"ToUserName": "gh_bench", "FromUserName": user, "CreateTime": int(time.time()),
                                          "MsgType": "text", "Content": text, "MsgId": msg_id})
                enc = wechat.encrypt(plain, encoding_aes_key=AES, receive_id=tencent.app_id)
                bodies.append((enc, wechat.build_xml({"ToUserName": tencent.app_id, "Encrypt": enc})))
            latencies: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()
            client = httpx.Client(timeout=10, limits=httpx.Limits(max_connections=200, max_keepalive_connections=200))

            def fire(enc: str, body: bytes) -> None:
                ts, nonce = str(int(time.time())), str(rnd.randrange(10**9))
                q = {"msg_signature": wechat.signature(TOKEN, ts, nonce, enc), "timestamp": ts, "nonce": nonce, "encrypt_type": "aes"}
                t0 = time.perf_counter()
                try:
                    r = client.post(f"{url}?{urlencode(q)}", content=body, headers={"Content-Type": "text/xml"})
                    ok = r.status_code == 200 and r.content == b"success"
                    err = "" if ok else f"{r.status_code} {r.content[:80]!r}"
                except httpx.HTTPError as exc:
                    err = type(exc).__name__
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt * 1000)
                    if err:
                        errors.append(err)

            cpu0 = os.times()
            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=64) as pool:
                for i, (enc, body) in enumerate(bodies):
                    due = start + i / args.rate
                    wait = due - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                    pool.submit(fire, enc, body)
            load_wall = time.perf_counter() - start
            print(f"load: {n} callbacks at {args.rate:.0f}/s scheduled, sent in {load_wall:.1f} s; "
                  f"callback latency p50 {pct(latencies, 50):.1f} ms, p95 {pct(latencies, 95):.1f} ms, "
                  f"p99 {pct(latencies, 99):.1f} ms, max {max(latencies):.0f} ms; errors {len(errors)} {errors[:3]}")
            unique = len(set(sent_ids))
            if not args.task_workers:
                stored = Contact.objects.filter(account=account).count()
                print(f"no task workers: {stored} contacts stored (unique MsgIds {unique}); load average {os.getloadavg()[0]:.1f}")
                return
            t_drain = time.perf_counter()
            while time.perf_counter() - t_drain < 900:
                pending = Contact.objects.filter(account=account, status="received").count()
                done = Contact.objects.filter(account=account).exclude(status="received").count()
                if pending == 0 and done >= unique:
                    break
                time.sleep(0.5)
            drain = time.perf_counter() - start
            rows = list(Contact.objects.filter(account=account).values_list("received_at", "processed_at", "status"))
            lat = [(p - r).total_seconds() * 1000 for r, p, _s in rows if p]
            statuses: dict[str, int] = {}
            for *_x, s in rows:
                statuses[s] = statuses.get(s, 0) + 1
            first = min(r for r, _p, _s in rows)
            last = max(p for _r, p, _s in rows if p)
            span = (last - first).total_seconds()
            cpu1 = os.times()
            print(f"contacts {len(rows)} (unique MsgIds {unique}) {statuses}; tickets {Ticket.objects.count()}; "
                  f"all processed {drain:.1f} s after the first request ({len(rows) / span:.1f} messages/s end to end)")
            print(f"callback -> ticket: p50 {pct(lat, 50):.0f} ms, p95 {pct(lat, 95):.0f} ms, max {max(lat):.0f} ms; "
                  f"database {django.db.connection.vendor}; load average {os.getloadavg()[0]:.1f}; "
                  f"children CPU {cpu1.children_user + cpu1.children_system - cpu0.children_user - cpu0.children_system:.1f} s")
            print(f"phone questions sent to the stand-in API: {len(tencent.sent)}; tokens fetched {len(tencent.tokens_issued)}")
        finally:
            for p in [web, *workers]:
                os.killpg(p.pid, signal.SIGTERM)
            for p in [web, *workers]:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
