"""`kefu run`: start the web server, the task worker and the clock, and stop them together.

The supervisor `make demo` ends with. Each child runs in its own process group, so a Ctrl-C in the
terminal reaches only this process, which then stops the children in order (SIGTERM to the whole
group, so uvicorn's workers go too; SIGKILL after a grace period). If one child dies on its own,
the others are stopped and the exit status is non-zero, so a broken install does not half-run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kefu.demo.seed import demo_present

STOP_GRACE_SECONDS = 10.0


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    pump: threading.Thread | None = None


def child_commands(*, host: str, port: int, workers: int, threads: int) -> list[Child]:
    py = sys.executable
    # The in-memory channel layer lives inside one process: without Redis, one web process serves
    # everyone (async, sync views on a thread pool); KEFU_REDIS_URL lets several share the push layer.
    web_workers = workers if settings.KEFU_REDIS_URL else 1
    return [
        Child(
            "web",
            [
                py, "-m", "uvicorn", "kefu.asgi:application",
                "--host", host,
                "--port", str(port),
                "--workers", str(web_workers),
                "--ws", "websockets-sansio",
                "--timeout-graceful-shutdown", "5",
                "--no-server-header",
            ],
        ),
        # The supervisor ran the system checks once already; the children need not repeat them.
        Child("worker", [py, "-m", "kefu.cli", "db_worker", "--no-reload", "--queue-name", "*", "--skip-checks"]),
        Child("clock", [py, "-m", "kefu.cli", "clock", "--skip-checks"]),
    ]


class Command(BaseCommand):
    help = "Run kefu: the web server (uvicorn, HTTP and WebSockets), the task worker and the clock. Ctrl-C stops all of them."
    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.getenv("KEFU_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.getenv("KEFU_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=2, help="web processes (default 2; 1 without KEFU_REDIS_URL)")
        parser.add_argument("--threads", type=int, default=4, help="threads for sync views per web process (default 4)")

    def handle(self, *args: Any, **options: Any) -> None:
        # whitenoise warns on every start when STATIC_ROOT is missing (we serve from finders instead).
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        children = child_commands(
            host=options["host"], port=options["port"], workers=options["workers"], threads=options["threads"]
        )
        out_lock = threading.Lock()
        stop = threading.Event()
        received: list[int] = []

        def on_signal(signum: int, _frame: object) -> None:
            received.append(signum)
            stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)

        env = {**os.environ, "PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": os.environ.get(
            "DJANGO_SETTINGS_MODULE", "kefu.settings"), "ASGI_THREADS": str(options["threads"])}
        # The children must see the same data directory even when it came from a default.
        if not os.getenv("DATABASE_URL"):
            env["KEFU_DATA_DIR"] = str(settings.DATA_DIR)
        width = max(len(c.name) for c in children)
        failed: Child | None = None
        try:
            for child in children:
                if stop.is_set():
                    break
                child.proc = subprocess.Popen(
                    child.argv,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=env,
                    process_group=0,
                )
                child.pump = threading.Thread(
                    target=_pump, args=(child.proc.stdout, f"{child.name:<{width}} | ", out_lock), daemon=True
                )
                child.pump.start()
            self._say(out_lock, f"kefu is running on http://{options['host']}:{options['port']}/  (data: "
                      f"{'DATABASE_URL' if os.getenv('DATABASE_URL') else settings.DATA_DIR}); Ctrl-C stops it")

            if demo_present():
                self._say(out_lock, "demo logins: admin, manager, lead1-lead3, agent1-agent20, qa1, qa2, qalead "
                          "(password kefu123); the portal for customers is at /portal/")
            while not stop.is_set():
                for child in children:
                    assert child.proc is not None
                    if child.proc.poll() is not None:
                        failed = child
                        stop.set()
                        break
                stop.wait(0.2)
        finally:
            if received:
                self._say(out_lock, f"{signal.Signals(received[0]).name} received, stopping")
            elif failed is not None:
                assert failed.proc is not None
                self._say(out_lock, f"{failed.name} exited with status {failed.proc.returncode}; stopping the others")
            _stop_all(children)
            for child in children:
                if child.pump is not None:
                    child.pump.join(timeout=2)
        if failed is not None:
            raise CommandError(f"{failed.name} exited unexpectedly", returncode=1)
        self._say(out_lock, "stopped")

    def _say(self, lock: threading.Lock, text: str) -> None:
        with lock:
            self.stdout.write(f"kefu | {text}")
            self.stdout.flush()


def _pump(stream: IO[bytes] | None, prefix: str, lock: threading.Lock) -> None:
    """Copy a child's output line by line, prefixed with its name."""
    if stream is None:
        return
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        with lock:
            sys.stdout.write(prefix + line + "\n")
            sys.stdout.flush()
    stream.close()


def _signal_group(proc: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass


def _stop_all(children: list[Child]) -> None:
    """SIGTERM every child's process group, wait, then SIGKILL what is left."""
    live = [c.proc for c in children if c.proc is not None]
    for proc in live:
        _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for proc in live:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
    # A child that exited may leave its group behind (e.g. uvicorn workers of a crashed master).
    for proc in live:
        _signal_group(proc, signal.SIGKILL)
