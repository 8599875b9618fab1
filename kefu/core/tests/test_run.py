"""`kefu run` as a user runs it: a real process tree on a free port, stopped with Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect as ws_connect

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process tree from /proc")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (children, grandchildren ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    # The supervisor is what is under test, not the database: always a fresh SQLite data dir.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KEFU_PORT")}
    env["KEFU_DATA_DIR"] = str(tmp_path / "data")
    subprocess.run([sys.executable, "-m", "kefu.cli", "migrate", "-v0"], env=env, check=True, timeout=180)
    return env


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except OSError:
        return False


def start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kefu.cli", "run", "--port", str(port), "--workers", "2", "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so a failing test can kill the whole tree by group
    )


def kill_tree(proc: subprocess.Popen[bytes], pids: set[int]) -> None:
    for pid in [proc.pid, *pids]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_run_serves_and_ctrl_c_stops_every_child(env):
    port = free_port()
    proc = start(env, port)
    children: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while not answers(f"http://127.0.0.1:{port}/accounts/login/"):
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "the web server did not answer within 60 s"
            time.sleep(0.3)
        # web (one uvicorn process: the in-memory push layer lives in it), task worker, clock
        deadline = time.monotonic() + 20
        while len(children := descendants(proc.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(children) >= 3
        # The same server speaks WebSocket: a visitor's chat socket opens and says hello.
        with ws_connect(f"ws://127.0.0.1:{port}/ws/chat/", open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello"}))
            assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as resp:
            assert resp.status == 200
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        text = out.decode()
        assert proc.returncode == 0, text
        assert "SIGINT received, stopping" in text
        assert "web    |" in text and "worker |" in text and "clock  |" in text
        deadline = time.monotonic() + 5
        while any(alive(p) for p in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in children if alive(p)]
    finally:
        kill_tree(proc, children)


def test_run_stops_everything_and_fails_when_a_child_dies(env):
    port = free_port()
    with socket.socket() as taken:  # the web server cannot bind: it exits, the others must follow
        taken.bind(("127.0.0.1", port))
        taken.listen()
        proc = start(env, port)
        children: set[int] = set()
        try:
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                children |= descendants(proc.pid)
                time.sleep(0.2)
            out, _ = proc.communicate(timeout=30)
            assert proc.returncode != 0
            assert "web exited with status" in out.decode()
            time.sleep(0.5)
            assert not [p for p in children if alive(p)]
        finally:
            kill_tree(proc, children)
