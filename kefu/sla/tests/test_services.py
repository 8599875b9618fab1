from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from kefu.accounts.choices import Role
from kefu.core.clock import load_jobs, run_pass
from kefu.sla.choices import DayKind, DaySource, SlaEventKind
from kefu.sla.config import get_config
from kefu.sla.models import (
    BusinessCalendar,
    CalendarDay,
    EscalationLevel,
    Notification,
    RobotWebhook,
    SlaEvent,
    SlaPolicy,
    TicketSla,
)
from kefu.sla.services import (
    calendar_sync_holidays,
    sla_config_save,
    sla_fire_warning,
    sla_recompute,
)
from kefu.tests.factories import TicketFactory, UserFactory
from kefu.tickets.access import portal_token
from kefu.tickets.choices import MessageKind, Priority, TicketKind, TicketStatus
from kefu.tickets.models import Ticket
from kefu.tickets.services import (
    ticket_add_message,
    ticket_change_priority,
    ticket_change_status,
    ticket_customer_reply,
)

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def at(text: str):
    return time_machine.travel(t(text), tick=False)


def rows(ticket: Ticket) -> dict[str, TicketSla]:
    return {r.target: r for r in TicketSla.objects.filter(ticket=ticket)}


def test_seeded_calendars_and_default_policy():
    china = BusinessCalendar.objects.get(is_default=True)
    assert china.name == "中国工作日历"
    assert CalendarDay.objects.filter(calendar=china, date__year=2026, kind=DayKind.WORKDAY).count() == 6
    weekday_holidays = [
        d for d in CalendarDay.objects.filter(calendar=china, date__year=2026, kind=DayKind.HOLIDAY) if d.date.weekday() < 5
    ]
    assert len(weekday_holidays) == 19
    assert BusinessCalendar.objects.filter(is_24x7=True).exists()
    assert SlaPolicy.objects.filter(is_default=True).count() == 1
    config = get_config()
    cal = config.calendars[china.pk]
    assert cal.business_time_on(t("2026-10-10 00:00").date()) == timedelta(hours=7, minutes=30)  # 调休 Saturday
    assert cal.business_time_on(t("2026-10-01 00:00").date()) == timedelta(0)


def test_recompute_default_policy_and_first_reply(agent_alice):
    with at("2026-03-10 11:30"):
        ticket = TicketFactory(actor=agent_alice)
        sla_recompute(ticket.pk)
    r = rows(ticket)
    assert set(r) == {"dispatch", "first_response", "resolution"}  # next response starts later
    assert r["first_response"].due_at == t("2026-03-10 15:00")  # 2 business hours over lunch
    assert r["first_response"].warn_due_at == t("2026-03-10 14:00")  # 50 %
    assert r["first_response"].breach_due_at == t("2026-03-10 15:00")
    with at("2026-03-10 14:30"):
        ticket_add_message(actor=agent_alice, number=ticket.number, kind=MessageKind.REPLY, body="您好")
        sla_recompute(ticket.pk)
    r = rows(ticket)
    fr = r["first_response"]
    assert fr.state == "met" and fr.achieved_at == t("2026-03-10 14:30")
    assert fr.elapsed == timedelta(hours=1, minutes=30)
    assert fr.warn_due_at is None and fr.breach_due_at is None
    assert r["dispatch"].achieved_at == t("2026-03-10 14:30")  # the reply took the ticket (late: 60 min)
    assert r["dispatch"].state == "breached"


def test_policy_by_priority_and_kind_and_tier(agent_alice, customer_wang):
    with at("2026-03-10 09:00"):
        urgent = TicketFactory(actor=agent_alice, priority=Priority.URGENT)
        complaint = TicketFactory(actor=agent_alice, kind=TicketKind.COMPLAINT)
        sla_recompute(urgent.pk)
        sla_recompute(complaint.pk)
    assert rows(urgent)["dispatch"].due_at == t("2026-03-10 09:30")
    assert rows(urgent)["dispatch"].policy.name == "紧急工单"
    # Complaints run on the 7×24 calendar: 48 hours straight.
    assert rows(complaint)["resolution"].due_at == t("2026-03-12 09:00")
    vip = SlaPolicy.objects.create(
        name="VIP", position=1, calendar=BusinessCalendar.objects.get(is_default=True), first_response_minutes=15
    )
    vip.match_tiers.add(customer_wang.tier)
    sla_config_save(obj=vip)
    with at("2026-03-10 09:00"):
        ticket = TicketFactory(actor=agent_alice, customer=customer_wang)
        sla_recompute(ticket.pk)
    assert set(rows(ticket)) == {"first_response"}
    assert rows(ticket)["first_response"].due_at == t("2026-03-10 09:15")


def test_priority_change_recomputes_from_creation(agent_alice):
    with at("2026-03-10 09:00"):
        ticket = TicketFactory(actor=agent_alice)
        sla_recompute(ticket.pk)
    with at("2026-03-10 09:10"):
        ticket_change_priority(actor=agent_alice, number=ticket.number, priority=Priority.URGENT)
        sla_recompute(ticket.pk)
    assert rows(ticket)["first_response"].due_at == t("2026-03-10 09:30")
    with at("2026-03-10 09:20"):
        ticket_change_priority(actor=agent_alice, number=ticket.number, priority=Priority.NORMAL)
        sla_recompute(ticket.pk)
    assert rows(ticket)["first_response"].due_at == t("2026-03-10 11:00")


def test_pause_and_reopen_through_services(agent_alice):
    with at("2026-09-30 16:00"):
        ticket = TicketFactory(actor=agent_alice, assignee=agent_alice)
    with at("2026-09-30 16:30"):
        ticket_add_message(actor=agent_alice, number=ticket.number, kind=MessageKind.REPLY, body="请补充照片",
                           status=TicketStatus.PENDING_CUSTOMER)
        sla_recompute(ticket.pk)
    res = rows(ticket)["resolution"]
    assert res.state == "paused" and res.due_at is None and res.elapsed == timedelta(minutes=30)
    with at("2026-10-09 10:00"):
        ticket_customer_reply(token=portal_token(ticket), body="照片已上传")
        sla_recompute(ticket.pk)
    r = rows(ticket)
    # 1350 − 30 min left from Fri 9 Oct 10:00 (国庆 paused): 22 h → Sat 10 Oct (调休) … Tue 13 Oct.
    assert r["resolution"].state == "running"
    assert r["next_response"].due_at == t("2026-10-09 15:30")  # 4 h: 10:00–12:00 and 13:30–15:30
    with at("2026-10-09 11:00"):
        ticket_change_status(actor=agent_alice, number=ticket.number, status=TicketStatus.RESOLVED)
        sla_recompute(ticket.pk)
    r = rows(ticket)
    assert r["resolution"].state == "met" and r["next_response"].state == "met"
    assert r["resolution"].elapsed == timedelta(minutes=90)


def test_sync_holidays_keeps_manual_rows(capsys):
    china = BusinessCalendar.objects.get(is_default=True)
    day = CalendarDay.objects.get(calendar=china, date=t("2026-10-10 00:00").date())
    day.kind = DayKind.NORMAL
    day.note = "本中心 10 月 10 日不调休"
    sla_config_save(obj=day)
    assert CalendarDay.objects.get(pk=day.pk).source == DaySource.MANUAL
    CalendarDay.objects.filter(calendar=china, date=t("2026-10-01 00:00").date()).delete()
    counts = calendar_sync_holidays(calendar=china, years=[2026])
    assert counts["created"] == 1 and counts["kept_manual"] == 1
    assert CalendarDay.objects.get(pk=day.pk).kind == DayKind.NORMAL
    out = StringIO()
    call_command("sla_sync_holidays", "--year", "2026", stdout=out)
    assert "0 created" in out.getvalue()
    cal = get_config().calendars[china.pk]
    assert cal.business_time_on(t("2026-10-10 00:00").date()) == timedelta(0)  # the manual row won


def test_warning_breach_escalation_via_clock_fire_once(agent_alice, lead_linda, manager_mike):
    mail.outbox.clear()
    with at("2026-03-10 09:00"):
        ticket = TicketFactory(actor=agent_alice, assignee=agent_alice)
        sla_recompute(ticket.pk)
    fr = rows(ticket)["first_response"]
    assert fr.warn_due_at == t("2026-03-10 10:00")
    # The clock was down from 09:00 to the next morning: everything fires once, late.
    now = t("2026-03-11 16:00")
    handled = 0
    while (result := run_pass(now=now)).handled:  # kefu clock goes straight on after a busy pass
        handled += result.handled
    assert run_pass(now=now + timedelta(seconds=1)).handled == 0
    kinds = list(SlaEvent.objects.filter(ticket=ticket, target="first_response").values_list("kind", "level", "late"))
    assert kinds == [
        (SlaEventKind.WARNING, 1, True),
        (SlaEventKind.WARNING, 2, True),
        (SlaEventKind.BREACH, 0, True),
        (SlaEventKind.ESCALATION, 1, True),
        (SlaEventKind.ESCALATION, 2, True),
    ]
    assert handled >= 5
    fr.refresh_from_db()
    assert fr.state == "breached" and fr.escalation_level == 2 and fr.escalation_due_at is None
    assert Notification.objects.filter(user=lead_linda, event__kind=SlaEventKind.ESCALATION, event__level=1).count() == 1
    assert Notification.objects.filter(user=manager_mike, event__level=2, event__kind=SlaEventKind.ESCALATION).count() == 1
    assert Notification.objects.filter(user=agent_alice, event__kind=SlaEventKind.WARNING).count() >= 2
    # Replying now recomputes: met late stays breached, nothing more is due.
    with at("2026-03-11 16:05"):
        ticket_add_message(actor=agent_alice, number=ticket.number, kind=MessageKind.REPLY, body="抱歉久等")
        sla_recompute(ticket.pk)
    assert rows(ticket)["first_response"].state == "breached"
    assert run_pass(now=t("2026-03-11 16:06")).by_job.get("sla_warning", 0) == 0


def test_fire_is_claimed_once_even_when_called_twice(agent_alice):
    with at("2026-03-10 09:00"):
        ticket = TicketFactory(actor=agent_alice)
        sla_recompute(ticket.pk)
    row = rows(ticket)["resolution"]
    due = row.warn_due_at
    assert sla_fire_warning(sla_id=row.pk, due_at=due, now=due) is True
    assert sla_fire_warning(sla_id=row.pk, due_at=due, now=due) is False
    assert SlaEvent.objects.filter(ticket=ticket, kind="warning").count() == 1
    assert not SlaEvent.objects.get(ticket=ticket, kind="warning").late


def test_reply_after_warning_stops_the_rest(agent_alice):
    with at("2026-03-10 09:00"):
        ticket = TicketFactory(actor=agent_alice, assignee=agent_alice)
        sla_recompute(ticket.pk)
    while run_pass(now=t("2026-03-10 10:00")).handled:
        pass
    with at("2026-03-10 10:30"):
        ticket_add_message(actor=agent_alice, number=ticket.number, kind=MessageKind.REPLY, body="好的")
        sla_recompute(ticket.pk)
    run_pass(now=t("2026-03-12 10:00"))
    fr = SlaEvent.objects.filter(ticket=ticket, target="first_response")
    assert list(fr.values_list("kind", "level")) == [("warning", 1)]


def test_escalation_actions_raise_priority_and_tag(agent_alice, aftersales_team):
    policy = SlaPolicy.objects.get(is_default=True)
    policy.dispatch_minutes = None  # each target escalates on its own; keep one here
    EscalationLevel.objects.filter(policy=policy, level=1).update(raise_priority=True, add_tag="超时")
    EscalationLevel.objects.filter(policy=policy, level=2).update(reassign_team=aftersales_team)
    sla_config_save(obj=policy)
    with at("2026-03-10 09:00"):
        ticket = TicketFactory(actor=agent_alice)
        sla_recompute(ticket.pk)
    with at("2026-03-10 11:01"):
        while run_pass(now=t("2026-03-10 11:01")).handled:
            pass  # first response (120 min) breached → level 1
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH
    assert list(ticket.tags.values_list("name", flat=True)) == ["超时"]
    with at("2026-03-10 15:30"):
        while run_pass(now=t("2026-03-10 15:30")).handled:
            pass  # +120 business min → level 2
    ticket.refresh_from_db()
    assert ticket.team == aftersales_team
    levels = list(SlaEvent.objects.filter(ticket=ticket, kind="escalation", target="first_response").values_list("level", "data"))
    assert levels[0] == (1, {"actions": ["raise_priority", "add_tag"]})


class _Robot(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Robot.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"errcode":0}')

    def log_message(self, *args):
        pass


@pytest.fixture
def robot_server():
    server = HTTPServer(("127.0.0.1", 0), _Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Robot.received = []
    yield f"http://127.0.0.1:{server.server_port}/robot/send?key=x"
    server.shutdown()


def test_breach_posts_to_robot_and_emails_after_commit(agent_alice, robot_server, django_capture_on_commit_callbacks):
    agent_alice.email = "alice@example.com"
    agent_alice.save()
    RobotWebhook.objects.create(name="一线群", kind="wecom", url=robot_server)
    with at("2026-03-10 09:00"):
        ticket = TicketFactory(actor=agent_alice, assignee=agent_alice)
        sla_recompute(ticket.pk)
    mail.outbox.clear()
    row = rows(ticket)["first_response"]
    from kefu.sla.services import sla_fire_breach

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sla_fire_breach(sla_id=row.pk, due_at=row.breach_due_at, now=row.breach_due_at)
    assert _Robot.received == [] and mail.outbox == []  # nothing leaves before commit
    for cb in callbacks:
        cb()
    assert len(_Robot.received) == 1
    assert _Robot.received[0]["msgtype"] == "text" and ticket.number in _Robot.received[0]["text"]["content"]
    # The two warnings still owed fire first (email only: this robot does not take warnings).
    assert len(mail.outbox) == 3 and all(m.to == ["alice@example.com"] for m in mail.outbox)
    assert "超时" in mail.outbox[-1].subject or "breached" in mail.outbox[-1].subject


def test_robot_failure_does_not_break_other_channels(agent_alice):
    from kefu.sla.notify import OutboundMessage, RobotChannel, send_all

    def down(url, payload):
        raise OSError("connection refused")

    failed = send_all([RobotChannel(kind="dingtalk", url="http://127.0.0.1:9/", poster=down)], OutboundMessage("t", "b"))
    assert failed == ["dingtalk"]


def test_jobs_registered():
    names = [j.name for j in load_jobs()]
    assert {"sla_warning", "sla_breach", "sla_escalation"} <= set(names)
    assert names.index("sla_warning") < names.index("sla_breach") < names.index("sla_escalation")


def test_recompute_command(agent_alice):
    with at("2026-03-10 09:00"):
        TicketFactory(actor=agent_alice)
    out = StringIO()
    call_command("sla_recompute", stdout=out)
    assert "1 tickets recomputed, 3 rows written" in out.getvalue()
    assert UserFactory  # factories import used by other tests
    assert Role.AGENT
