"""A failed send of a pack (mail or robot) is tried again by the clock with backoff, only for the
channels that failed, at most KEFU_REPORT_SEND_ATTEMPTS sends in all; the run shows its attempts and
the last error. Against the real stand-ins (aiosmtpd and the robot server) made to fail."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kefu.accounts.services import api_token_create
from kefu.channels.tests.servers import smtp_sink
from kefu.conftest import login
from kefu.core.clock import load_jobs, run_pass
from kefu.performance.periods import Period
from kefu.reports.choices import RunStatus
from kefu.reports.models import ReportRun
from kefu.reports.services import retry_delay, run_build, run_send, schedule_create
from kefu.reports.tests.robot_server import robot_server

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def _jobs():  # type: ignore[no-untyped-def]
    return [j for j in load_jobs() if j.name in ("report_schedule", "report_send_retry")]


@pytest.fixture
def smtp(settings):  # type: ignore[no-untyped-def]
    with smtp_sink() as sink:
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                        "OPTIONS": {"host": sink.host, "port": sink.port, "use_tls": False}}}
        settings.KEFU_REPORT_RETRY_SECONDS = (300, 1800)
        yield sink


def test_backoff_steps_repeat_the_last(settings):
    settings.KEFU_REPORT_RETRY_SECONDS = (60, 600)
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 600, 600, 600]


def test_a_mail_refused_once_is_sent_by_the_clocks_retry_and_the_robot_not_twice(weekly, manager_mike, smtp, client):
    with robot_server() as robots:
        with time_machine.travel(sh("2026-11-05 10:00"), tick=False):
            schedule_create(actor=manager_mike, pack_id=weekly.pk, emails="boss@example.cn",
                            robot_kind="wecom", robot_url=robots.wecom_url, attach_files=False)
        smtp.fail_next = 1
        with time_machine.travel(sh("2026-11-09 08:00:30"), tick=False):
            assert run_pass(job_list=_jobs()).handled == 1
        run = ReportRun.objects.get()
        assert run.status == RunStatus.PARTLY and run.attempts == 1
        assert run.delivery["wecom"] == "ok" and "451" in run.delivery["email"]
        assert run.last_error.startswith("email: ") and "451" in run.last_error
        assert run.retry_at == sh("2026-11-09 08:05:30")
        assert smtp.messages == [] and len(robots.received) == 1
        with time_machine.travel(sh("2026-11-09 08:05:00"), tick=False):
            assert run_pass(job_list=_jobs()).handled == 0  # not yet: backoff
        with time_machine.travel(sh("2026-11-09 08:05:31"), tick=False):
            assert run_pass(job_list=_jobs()).handled == 1
            assert run_pass(job_list=_jobs()).handled == 0
        run.refresh_from_db()
        assert (run.status, run.attempts, run.last_error, run.retry_at) == (RunStatus.SENT, 2, "", None)
        assert run.delivery == {"email": "ok", "wecom": "ok"}
        assert len(smtp.messages) == 1 and len(robots.received) == 1  # the robot's message was not sent again
    # The reports page and the API show the attempts.
    page = login(client, manager_mike).get("/reports/").content.decode()
    assert 'data-attempts="2"' in page
    token = api_token_create(user=manager_mike, name="t")[1]
    out = client.get(f"/api/v1/performance/packs/runs/{run.pk}", headers={"Authorization": f"Bearer {token}"}).json()
    assert (out["attempts"], out["last_error"], out["retry_at"], out["status"]) == (2, "", None, "sent")


def test_a_robot_that_keeps_refusing_is_tried_at_most_n_times_with_growing_waits(weekly, manager_mike, settings, client):
    settings.KEFU_REPORT_SEND_ATTEMPTS = 3
    settings.KEFU_REPORT_RETRY_SECONDS = (300, 1800)
    with robot_server() as robots:
        robots.fail_next = 99
        with time_machine.travel(sh("2026-11-05 10:00"), tick=False):
            schedule_create(actor=manager_mike, pack_id=weekly.pk, robot_kind="wecom", robot_url=robots.wecom_url,
                            attach_files=False)
        with time_machine.travel(sh("2026-11-09 08:00"), tick=False):
            run_pass(job_list=_jobs())
        run = ReportRun.objects.get()
        assert (run.status, run.attempts, run.retry_at) == (RunStatus.FAILED, 1, sh("2026-11-09 08:05"))
        with time_machine.travel(sh("2026-11-09 08:05"), tick=False):
            run_pass(job_list=_jobs())
        run.refresh_from_db()
        assert (run.attempts, run.retry_at) == (2, sh("2026-11-09 08:35"))  # the second wait is longer
        with time_machine.travel(sh("2026-11-09 08:35"), tick=False):
            run_pass(job_list=_jobs())
        run.refresh_from_db()
        assert (run.status, run.attempts, run.retry_at) == (RunStatus.FAILED, 3, None)  # no fourth
        assert "45009 api freq out of limit" in run.last_error and run.last_error.startswith("wecom: ")
        with time_machine.travel(sh("2026-11-10 08:00"), tick=False):
            assert run_pass(job_list=[j for j in _jobs() if j.name == "report_send_retry"]).handled == 0
        assert len(robots.refused) == 3 and robots.received == []
    page = login(client, manager_mike).get(f"/reports/{weekly.pk}/").content.decode()
    assert 'data-attempts="3"' in page and "45009" in page


def test_a_manual_send_that_fails_once_is_retried_for_its_schedule(weekly, manager_mike, settings):
    settings.KEFU_REPORT_RETRY_SECONDS = (60,)
    with robot_server() as robots, time_machine.travel(sh("2026-11-09 09:00"), tick=False) as clock:
        s = schedule_create(actor=manager_mike, pack_id=weekly.pk, robot_kind="dingtalk", robot_url=robots.ding_url,
                            robot_secret=robots.ding_secret)
        run = run_build(actor=manager_mike, pack_id=weekly.pk, period=Period.parse("2026-W45"))
        robots.fail_next = 1
        run = run_send(actor=manager_mike, run_id=run.pk)
        assert (run.status, run.attempts) == (RunStatus.FAILED, 1) and "130101" in run.delivery[f"dingtalk#{s.pk}"]
        clock.shift(timedelta(seconds=61))
        assert run_pass(job_list=[j for j in _jobs() if j.name == "report_send_retry"]).handled == 1
        run.refresh_from_db()
        assert (run.status, run.attempts, run.delivery) == (RunStatus.SENT, 2, {f"dingtalk#{s.pk}": "ok"})
        assert [k for k, _b in robots.received] == ["dingtalk"]


def test_two_clocks_retry_a_run_once(weekly, manager_mike, smtp):
    with time_machine.travel(sh("2026-11-09 09:00"), tick=False):
        schedule_create(actor=manager_mike, pack_id=weekly.pk, emails="boss@example.cn", attach_files=False)
        run = run_build(actor=manager_mike, pack_id=weekly.pk, period=Period.parse("2026-W45"))
        smtp.fail_next = 1
        run = run_send(actor=manager_mike, run_id=run.pk)
    due = run.retry_at
    job = next(j for j in _jobs() if j.name == "report_send_retry")
    assert job.handle(run.pk, due, due) is True
    assert job.handle(run.pk, due, due) is False  # the second clock read the same due time
    assert len(smtp.messages) == 1
