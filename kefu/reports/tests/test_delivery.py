"""The clock sends a pack once per period, by mail (to a real SMTP server) and by WeCom/DingTalk group
robots (a local stand-in that checks the body and DingTalk's signature as the real robot does)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
from datetime import datetime, time
from email.header import decode_header, make_header
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from kefu.channels.tests.servers import smtp_sink
from kefu.core.clock import load_jobs, run_pass
from kefu.performance.periods import Period
from kefu.reports import robots as R
from kefu.reports.choices import RunStatus
from kefu.reports.models import ReportRun, ReportSchedule
from kefu.reports.services import next_due, run_build, run_send, schedule_create
from kefu.reports.tests.robot_server import robot_server

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def _job():  # type: ignore[no-untyped-def]
    return [j for j in load_jobs() if j.name == "report_schedule"]


@pytest.fixture
def smtp(settings):  # type: ignore[no-untyped-def]
    with smtp_sink() as sink:
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                        "OPTIONS": {"host": sink.host, "port": sink.port, "use_tls": False}}}
        yield sink


@pytest.mark.parametrize(
    ("kind", "after", "want"),
    [
        ("week", "2026-11-08 09:00", "2026-11-09 08:00"),  # Sunday → Monday 08:00
        ("week", "2026-11-09 07:59", "2026-11-09 08:00"),
        ("week", "2026-11-09 08:00", "2026-11-16 08:00"),  # just fired → next Monday
        ("month", "2026-11-01 08:00", "2026-12-01 08:00"),
        ("month", "2026-11-30 23:00", "2026-12-01 08:00"),
        ("quarter", "2026-11-02 00:00", "2027-01-01 08:00"),
        ("year", "2026-03-01 00:00", "2027-01-01 08:00"),
        ("day", "2026-11-09 08:30", "2026-11-10 08:00"),
    ],
)
def test_next_due_in_shanghai_time(kind, after, want):
    s = ReportSchedule(weekday=0, day_of_month=1, at_time=time(8, 0))
    assert next_due(s, kind, sh(after)) == sh(want)


def test_clock_mails_last_week_once(weekly, manager_mike, smtp):
    with time_machine.travel(sh("2026-11-05 10:00"), tick=False):
        s = schedule_create(actor=manager_mike, pack_id=weekly.pk, emails="boss@example.cn, lead@example.cn")
    assert s.due_at == sh("2026-11-09 08:00")
    with time_machine.travel(sh("2026-11-09 08:00:30"), tick=False):
        assert run_pass(job_list=_job()).handled == 1
        assert run_pass(job_list=_job()).handled == 0  # not due again until next Monday
    run = ReportRun.objects.get()
    assert run.period_key == "2026-W45" and run.status == RunStatus.SENT  # Mon 11-02 … Sun 11-08
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == "boss@example.cn, lead@example.cn"
    assert str(make_header(decode_header(msg["Subject"]))).startswith("周例会报表 2026")
    names = [p.get_filename() for p in msg.walk() if p.get_filename()]
    assert names == ["周例会报表-2026-W45.xlsx", "周例会报表-2026-W45.pdf"]
    xlsx = next(p for p in msg.walk() if p.get_filename() == names[0]).get_payload(decode=True)
    assert load_workbook(io.BytesIO(xlsx)).sheetnames[1] == run.data["sections"][0]["title"]
    body = next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert f"/reports/runs/{run.pk}.xlsx" in body

    # A second clock that read the old due time (or a re-run) does not send the week again.
    ReportSchedule.objects.filter(pk=s.pk).update(due_at=sh("2026-11-09 08:00"))
    with time_machine.travel(sh("2026-11-09 08:01"), tick=False):
        run_pass(job_list=_job())
    assert ReportRun.objects.count() == 1 and len(smtp.messages) == 1
    # The next Monday sends the next week.
    with time_machine.travel(sh("2026-11-16 08:00"), tick=False):
        run_pass(job_list=_job())
    assert sorted(ReportRun.objects.values_list("period_key", flat=True)) == ["2026-W45", "2026-W46"]
    assert len(smtp.messages) == 2


def test_monthly_schedule_sends_last_month_on_the_first(monthly, manager_mike, smtp):
    with time_machine.travel(sh("2026-11-20 10:00"), tick=False):
        s = schedule_create(actor=manager_mike, pack_id=monthly.pk, emails="boss@example.cn", attach_files=False)
    assert s.due_at == sh("2026-12-01 08:00")
    with time_machine.travel(sh("2026-12-01 08:05"), tick=False):
        run_pass(job_list=_job())
    assert ReportRun.objects.get().period_key == "2026-11"
    assert [p.get_filename() for p in smtp.messages[0].walk() if p.get_filename()] == []


def test_wecom_markdown_and_file(weekly, manager_mike):
    with robot_server() as robots, time_machine.travel(sh("2026-11-09 08:00"), tick=False):
        schedule_create(actor=manager_mike, pack_id=weekly.pk, robot_kind="wecom", robot_url=robots.wecom_url)
        run = run_build(actor=manager_mike, pack_id=weekly.pk, period=Period.parse("2026-W45"))
        run = run_send(actor=manager_mike, run_id=run.pk)
    assert robots.refused == []
    assert run.status == RunStatus.SENT
    (k1, md), (k2, f) = robots.received
    assert k1 == k2 == "wecom" and md["msgtype"] == "markdown" and f["msgtype"] == "file"
    assert "周例会报表" in md["markdown"]["content"] and f"/reports/runs/{run.pk}.pdf" in md["markdown"]["content"]
    name, content = robots.files[f["file"]["media_id"]]
    assert name.endswith("2026-W45.xlsx") and content == bytes(run.xlsx)


def test_dingtalk_signed_markdown_and_a_wrong_secret(weekly, manager_mike):
    with robot_server() as robots, time_machine.travel(sh("2026-11-09 08:00"), tick=False):
        good = schedule_create(actor=manager_mike, pack_id=weekly.pk, robot_kind="dingtalk", robot_url=robots.ding_url,
                               robot_secret=robots.ding_secret)
        run = run_build(actor=manager_mike, pack_id=weekly.pk, period=Period.parse("2026-W45"))
        assert run_send(actor=manager_mike, run_id=run.pk).status == RunStatus.SENT
        ((kind, body),) = robots.received
        assert kind == "dingtalk" and body["msgtype"] == "markdown" and body["markdown"]["title"].startswith("周例会报表")
        ReportSchedule.objects.filter(pk=good.pk).update(robot_secret="SECwrong")
        sent = run_send(actor=manager_mike, run_id=run.pk)
    assert sent.status == RunStatus.FAILED
    assert "310000" in sent.delivery[f"dingtalk#{good.pk}"] and "sign not match" in sent.delivery[f"dingtalk#{good.pk}"]
    assert robots.refused == [("dingtalk", 310000, "sign not match")]


def test_dingtalk_signature_matches_the_documented_example():
    # DingTalk's documentation computes the sign over f"{timestamp}\n{secret}" with HMAC-SHA256, base64.
    ts, secret = 1577262236757, "SEC0123456789"
    want = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()).decode()
    assert R.dingtalk_sign(secret, ts) == want
    url = R.dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=x", secret, now_ms=ts)
    assert url.startswith("https://oapi.dingtalk.com/robot/send?access_token=x&timestamp=1577262236757&sign=")
    assert "+" not in url.split("sign=")[1] and "/" not in url.split("sign=")[1]
