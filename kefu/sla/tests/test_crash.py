"""Kill the clock with SIGKILL in the middle of a sweep, restart it (twice, side by side), and check
that every warning, breach and escalation happened exactly once. Real processes, a file SQLite
database in a temporary KEFU_DATA_DIR."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

TICKETS = 120
# Per ticket on the default policy, all long overdue: dispatch, first response and resolution each
# fire 2 warnings + 1 breach + 2 escalation levels.
PER_TICKET = 3 * 5

SETUP = f"""
from datetime import datetime, timedelta, timezone
from kefu.accounts.models import User
from kefu.sla.services import sla_recompute_many
from kefu.tickets.services import TicketInput, ticket_create
actor = User.objects.create(username="setup", role="manager")
at = datetime(2026, 3, 9, 1, 0, tzinfo=timezone.utc)
ids = [ticket_create(actor=actor, data=TicketInput(title=f"t{{i}}"), at=at).pk for i in range({TICKETS})]
sla_recompute_many(ids, now=at)
"""


def _kefu(env: dict[str, str], *args: str, **kw) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "kefu.cli", *args], env=env, check=True, timeout=300, **kw)


def _clock(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kefu.cli", "clock", "--idle", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _count(db: Path, sql: str) -> int:
    con = sqlite3.connect(db, timeout=30)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def _wait(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigkill_mid_sweep_then_restart_fires_each_exactly_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["KEFU_DATA_DIR"] = str(tmp_path / "data")
    env["KEFU_LOG_LEVEL"] = "WARNING"
    db = tmp_path / "data" / "kefu.sqlite3"
    _kefu(env, "migrate", "-v0")
    _kefu(env, "shell", "-c", SETUP)
    total = TICKETS * PER_TICKET
    events = "SELECT COUNT(*) FROM sla_slaevent"

    clock = _clock(env)
    try:
        # Let it get going, then kill it hard in the middle of the sweep.
        assert _wait(lambda: _count(db, events) >= total // 4, 120), "the clock did not start firing"
        os.kill(clock.pid, signal.SIGKILL)
        clock.wait(10)
    finally:
        if clock.poll() is None:
            os.kill(clock.pid, signal.SIGKILL)
    fired_before = _count(db, events)
    assert 0 < fired_before < total, "kill the clock mid-sweep"

    # Restart: two clocks at once finish the work.
    clocks = [_clock(env), _clock(env)]
    try:
        due = (
            "SELECT COUNT(*) FROM sla_ticketsla WHERE warn_due_at IS NOT NULL OR breach_due_at IS NOT NULL "
            "OR escalation_due_at IS NOT NULL"
        )
        assert _wait(lambda: _count(db, due) == 0, 180), "the restarted clocks did not finish"
    finally:
        for c in clocks:
            c.send_signal(signal.SIGTERM)
        for c in clocks:
            try:
                c.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(c.pid, signal.SIGKILL)

    assert _count(db, events) == total
    per = "SELECT COUNT(*) FROM (SELECT ticket_id, target, kind, cycle, level, COUNT(*) n FROM sla_slaevent GROUP BY 1,2,3,4,5 HAVING n > 1)"
    assert _count(db, per) == 0
    for kind, n in (("warning", 2), ("breach", 1), ("escalation", 2)):
        assert _count(db, f"SELECT COUNT(*) FROM sla_slaevent WHERE kind = '{kind}'") == TICKETS * 3 * n
    # The killed sweep's transaction rolled back whole: no notification without its event, none twice.
    orphans = "SELECT COUNT(*) FROM sla_notification n LEFT JOIN sla_slaevent e ON e.id = n.event_id WHERE e.id IS NULL"
    assert _count(db, orphans) == 0
    assert _count(db, "SELECT COUNT(*) FROM sla_slaevent WHERE late = 0") == 0  # all long overdue: marked late
