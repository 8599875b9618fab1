"""The CTI simulator replays the bank's call log through the signed endpoint."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from kefu.channels import simulate
from kefu.channels.cti import CtiAccountInput, cti_account_save
from kefu.channels.models import Call
from kefu.surveys.models import Callback

pytestmark = pytest.mark.django_db

LOG = """vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\tq_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver
AA0101\t1\t9664491\t2\tPS\t990104\t9:00:01\t9:00:06\t5\t9:00:06\t9:00:26\t20\tAGENT\t9:00:26\t9:03:26\t180\tMICHAL
AA0101\t2\t0\t0\tPS\t990104\t9:01:00\t9:01:05\t5\t9:01:05\t9:02:05\t60\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER
AA0101\t3\t27997683\t2\tNW\t990104\t9:02:00\t9:02:04\t4\t9:02:04\t9:02:10\t6\tAGENT\t9:02:10\t9:04:10\t120\tDORIT
AA0101\t4\t0\t0\tPS\t990104\t9:05:00\t9:05:04\t4\t0:00:00\t0:00:00\t0\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER
AA0101\t5\t1\t0\tPS\t990105\t9:05:00\t9:05:04\t4\t9:05:04\t9:05:10\t6\tAGENT\t9:05:10\t9:06:10\t60\tMICHAL
"""


def test_a_day_of_the_log_becomes_signed_calls_with_times_and_callbacks(tmp_path, manager_mike, front_team, agent_alice, teammate_bob):
    log = tmp_path / "log.txt"
    log.write_text(LOG, encoding="latin-1")
    account = cti_account_save(actor=manager_mike, data=CtiAccountInput(name="呼叫中心", secret="s" * 20, team=front_team))
    out = StringIO()
    call_command("cti_simulate", "--account", str(account.pk), "--log", str(log), "--on", "2026-12-04", stdout=out)
    assert "day 990104, 3 calls" in out.getvalue() and "refused 0" in out.getvalue()
    calls = {c.call_id.rsplit("-", 1)[-1]: c for c in Call.objects.all()}
    assert set(calls) == {"1", "2", "3"}  # the busiest day; a call that never queued is left out
    served = calls["1"]
    assert (served.state, served.wait_seconds, served.talk_seconds) == ("ended", 20, 180)
    assert 10 <= served.wrap_seconds <= 40 and served.recording_url and served.agent is not None
    assert {calls["1"].agent, calls["3"].agent} == {agent_alice, teammate_bob}  # MICHAL, DORIT in turn
    assert calls["2"].state == "missed" and Callback.objects.get().pk == calls["2"].callback_id
    # Played again: every event is a duplicate and nothing changes.
    out = StringIO()
    call_command("cti_simulate", "--account", str(account.pk), "--log", str(log), "--on", "2026-12-04", stdout=out)
    assert "12 events" in out.getvalue() and "already taken 12" in out.getvalue()  # 5 + 2 + 5
    assert Call.objects.count() == 3 and Callback.objects.count() == 1


def test_the_shared_bank_log_is_read_when_it_is_there():
    log = simulate.default_log()
    if log is None:
        pytest.skip("shared/callcenter is not beside this checkout")
    day, calls = simulate.read_day(Path(log))
    assert len(day) == 6 and len(calls) > 300
    assert all(a.q_start <= b.q_start for a, b in zip(calls, calls[1:], strict=False))
