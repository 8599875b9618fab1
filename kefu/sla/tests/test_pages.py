"""The SLA surfaces: queue badge, ticket panel and timeline, "at risk" board, calendar year view,
policy form, the ticket API's `sla`, and recompute after a configuration edit."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from kefu.conftest import login
from kefu.sla.choices import DayKind, DaySource
from kefu.sla.config import get_config
from kefu.sla.forms import SlaPolicyForm
from kefu.sla.models import BusinessCalendar, CalendarDay, SlaConfigVersion, SlaPolicy, TicketSla
from kefu.sla.selectors import at_risk_board, format_business_time, ticket_sla_targets
from kefu.sla.services import (
    calendar_day_set,
    sla_config_save,
    sla_fire_breach,
    sla_fire_warning,
    sla_recompute_all,
    sla_recompute_open,
)
from kefu.tests.factories import TicketFactory
from kefu.tickets.choices import Priority

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
HX = {"HTTP_HX_REQUEST": "true"}


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def at(text: str):
    return time_machine.travel(t(text), tick=False)


def first_response(ticket) -> TicketSla:
    return TicketSla.objects.get(ticket=ticket, target="first_response")


@pytest.fixture
def urgent(agent_alice, customer_wang):
    # 紧急工单: dispatch 30, first response 30, resolution 450 business minutes; created Tue 10 Mar 09:00.
    with at("2026-03-10 09:00"):
        return TicketFactory(actor=agent_alice, customer=customer_wang, priority=Priority.URGENT, assignee=agent_alice)


@pytest.mark.parametrize(
    ("now", "level", "text"),
    [
        ("2026-03-10 09:05", "ok", "25m left"),
        ("2026-03-10 09:16", "warn", "14m left"),
        ("2026-03-10 09:25", "risk", "5m left"),
        ("2026-03-10 09:45", "breached", "overdue 15m"),
    ],
)
def test_first_response_levels_in_business_time(urgent, now, level, text):
    with at(now), translation.override("en"):
        fr = next(v for v in ticket_sla_targets(ticket=urgent) if v.target == "first_response")
        countdown = fr.countdown
    assert fr.level == level
    assert countdown == text


def test_countdown_skips_lunch_and_nights(agent_alice):
    with at("2026-03-10 11:50"):
        ticket = TicketFactory(actor=agent_alice)  # default: first response 120 business minutes
    with at("2026-03-10 13:00"):  # lunch: 10 minutes used, 110 left whatever the wall clock says
        fr = next(v for v in ticket_sla_targets(ticket=ticket) if v.target == "first_response")
    assert fr.remaining_seconds == 110 * 60 and fr.level == "ok"
    with translation.override("en"):
        assert format_business_time(fr.remaining) == "1h 50m"
    assert format_business_time(fr.remaining) == "1小时50分"  # the UI is Chinese by default


def test_queue_shows_badge_in_chinese(client, urgent, agent_alice):
    login(client, agent_alice)
    with at("2026-03-10 09:25"):
        html = client.get(reverse("tickets:queue") + "?scope=mine").content.decode()
    assert "sla-badge sla-risk" in html
    assert "剩余 5分钟" in html


def test_ticket_page_panel_policy_reason_and_timeline(client, urgent, agent_alice):
    with at("2026-03-10 09:45"):
        row = first_response(urgent)
        assert sla_fire_warning(sla_id=row.pk, due_at=row.warn_due_at)
        assert sla_fire_breach(sla_id=row.pk, due_at=row.due_at)
        login(client, agent_alice)
        response = client.get(reverse("tickets:detail", args=[urgent.number]), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'id="ticket-sla"' in html
    assert "紧急工单" in html  # the policy's name, and why: the priority matched
    assert "matched" in html or "匹配" in html
    assert "ev-sla-breach" in html and "ev-sla-warning" in html
    with at("2026-03-10 09:46"):
        part = client.get(reverse("tickets:detail", args=[urgent.number]), **HX, HTTP_HX_TARGET="ticket-sla")
    assert part.content.decode().lstrip().startswith('<section id="ticket-sla"')


def test_default_policy_is_explained(client, agent_alice):
    ticket = TicketFactory(actor=agent_alice)
    login(client, agent_alice)
    html = client.get(reverse("tickets:detail", args=[ticket.number])).content.decode()
    assert "默认时效" in html


# --- the "at risk" board -----------------------------------------------------------------------------


def test_board_access(client, agent_alice, lead_linda, manager_mike, urgent):
    url = reverse("sla:at_risk")
    assert client.get(url).status_code == 302  # anonymous → login
    login(client, agent_alice)
    assert client.get(url).status_code == 403
    login(client, lead_linda)
    with at("2026-03-10 09:45"):
        assert urgent.number in client.get(url).content.decode()
        part = client.get(url, **HX, HTTP_HX_TARGET="sla-board").content.decode()
    assert part.lstrip().startswith('<div id="sla-board"') and 'hx-trigger="every 30s"' in part


def test_board_lead_sees_own_team_manager_all(lead_linda, manager_mike, outsider_charlie, urgent):
    with at("2026-03-10 09:00"):
        other = TicketFactory(actor=outsider_charlie, priority=Priority.URGENT, assignee=outsider_charlie)
    with at("2026-03-10 09:10"):  # nothing past 80 % yet
        assert at_risk_board(user=manager_mike) == []
    with at("2026-03-10 09:45"):
        lead = at_risk_board(user=lead_linda)
        everyone = at_risk_board(user=manager_mike)
    assert [r.ticket.number for g in lead for r in g.rows] == [urgent.number]
    assert {r.ticket.number for g in everyone for r in g.rows} == {urgent.number, other.number}
    assert all(g.breached == 1 for g in everyone)


def test_board_query_count_is_flat(client, manager_mike, agent_alice, django_assert_num_queries):
    login(client, manager_mike)
    with at("2026-03-10 09:00"):
        for _ in range(2):
            TicketFactory(actor=agent_alice, priority=Priority.URGENT)
    url = reverse("sla:at_risk")
    with at("2026-03-10 10:00"):
        client.get(url)
        # session, user, tickets, their SLA rows, config token
        with django_assert_num_queries(5):
            client.get(url, **HX, HTTP_HX_TARGET="sla-board")
        for _ in range(8):
            TicketFactory(actor=agent_alice, priority=Priority.URGENT)
    with at("2026-03-10 11:00"), django_assert_num_queries(5):
        assert client.get(url, **HX, HTTP_HX_TARGET="sla-board").content.decode().count("sla-breached") == 10


# --- calendars and policies --------------------------------------------------------------------------


def test_year_view_and_toggle(client, manager_mike, agent_alice, django_capture_on_commit_callbacks):
    china = BusinessCalendar.objects.get(is_default=True)
    url = reverse("sla:calendar_year", args=[china.pk])
    login(client, agent_alice)
    assert client.get(url).status_code == 403
    assert client.post(reverse("sla:calendar_toggle", args=[china.pk]), {"day": "2026-03-11"}).status_code == 403
    login(client, manager_mike)
    html = client.get(url + "?year=2026").content.decode()
    assert html.count('class="cal-day cal-workday" title=') == 6  # the 6 调休 Saturdays/Sundays of 2026
    assert "cal-holiday" in html
    token = SlaConfigVersion.objects.get().token
    toggle = reverse("sla:calendar_toggle", args=[china.pk])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(toggle, {"day": "2026-03-11"}, **HX, HTTP_HX_TARGET="calendar-year")
    assert response.status_code == 200 and response.content.decode().lstrip().startswith('<div id="calendar-year"')
    assert len(callbacks) == 1  # one recompute task for the open tickets
    day = CalendarDay.objects.get(calendar=china, date=date(2026, 3, 11))
    assert (day.kind, day.source) == (DayKind.HOLIDAY, DaySource.MANUAL)
    assert SlaConfigVersion.objects.get().token != token
    client.post(toggle, {"day": "2026-03-11"})
    assert CalendarDay.objects.get(calendar=china, date=date(2026, 3, 11)).kind == DayKind.WORKDAY
    assert client.post(toggle, {"day": "2026-03-11"}).status_code == 302  # plain POST: redirect
    assert CalendarDay.objects.get(calendar=china, date=date(2026, 3, 11)).kind == DayKind.NORMAL
    assert client.post(toggle, {"day": "not a date"}).status_code == 400
    assert client.post(reverse("sla:calendar_toggle", args=[9999]), {"day": "2026-03-11"}).status_code == 404
    always = BusinessCalendar.objects.get(is_24x7=True)
    assert client.post(reverse("sla:calendar_toggle", args=[always.pk]), {"day": "2026-03-11"}).status_code == 400
    assert client.get(reverse("sla:calendars")).status_code == 200


def test_holiday_edit_moves_open_tickets(agent_alice, manager_mike):
    with at("2026-03-10 17:30"):
        ticket = TicketFactory(actor=agent_alice)  # first response 120: due Wed 11 Mar 10:30
    assert first_response(ticket).due_at == t("2026-03-11 10:30")
    calendar_day_set(actor=manager_mike, calendar_id=BusinessCalendar.objects.get(is_default=True).pk,
                     day=date(2026, 3, 11), kind=DayKind.HOLIDAY)
    with at("2026-03-10 17:31"):
        assert sla_recompute_open() >= 1  # what the task enqueued on commit runs
    assert first_response(ticket).due_at == t("2026-03-12 10:30")
    with pytest.raises(Exception) as exc:
        calendar_day_set(actor=agent_alice, calendar_id=1, day=date(2026, 3, 11), kind=DayKind.HOLIDAY)
    assert getattr(exc.value, "status", None) == 403


def test_policy_form_uses_choices_not_json(manager_mike):
    policy = SlaPolicy.objects.get(name="紧急工单")
    form = SlaPolicyForm(instance=policy)
    assert form.initial["warn_shares"] == "50, 80"
    data = {
        "name": "VIP 电话", "position": 5, "is_active": "on", "calendar": policy.calendar_id,
        "match_priorities": ["high", "urgent"], "match_channels": ["phone"], "match_kinds": [],
        "first_response_minutes": 10, "warn_shares": "60，90%", "pause_statuses": ["pending_customer"],
    }
    form = SlaPolicyForm(data=data)
    assert form.is_valid(), form.errors
    new = form.save(commit=False)
    sla_config_save(obj=new)
    assert (new.match_priorities, new.warn_shares, new.match_channels) == (["high", "urgent"], [60, 90], ["phone"])
    assert any(r.name == "VIP 电话" for r in get_config().rules)
    bad = SlaPolicyForm(data={**data, "name": "x", "warn_shares": "150", "match_priorities": ["nope"]})
    assert not bad.is_valid() and {"warn_shares", "match_priorities"} <= set(bad.errors)


def test_recompute_all_backfills(agent_alice):
    ticket = TicketFactory(actor=agent_alice)
    TicketSla.objects.all().delete()
    assert sla_recompute_all() >= 1
    assert TicketSla.objects.filter(ticket=ticket).count() == 3


# --- API -------------------------------------------------------------------------------------------


def test_api_sla_field_and_filters(client, agent_alice, urgent):
    from kefu.tickets.tests.test_api import bearer

    headers = bearer(agent_alice)
    with at("2026-03-10 09:00"):
        calm = TicketFactory(actor=agent_alice, assignee=agent_alice)
    with at("2026-03-10 09:26"):
        one = client.get(f"/api/v1/tickets/{urgent.number}", headers=headers).json()
        risky = client.get("/api/v1/tickets/?sla=at_risk", headers=headers).json()["items"]
        breached = client.get("/api/v1/tickets/?sla=breached", headers=headers).json()["items"]
        bad = client.get("/api/v1/tickets/?sla=soon", headers=headers)
    fr = next(s for s in one["sla"] if s["target"] == "first_response")
    assert fr["state"] == "running" and fr["remaining_business_seconds"] == 4 * 60 and fr["breached"] is False
    assert fr["due_at"].startswith("2026-03-10T01:30") and fr["target_minutes"] == 30
    assert [t["number"] for t in risky] == [urgent.number]
    assert breached == [] and calm.number not in [t["number"] for t in risky]
    assert bad.status_code == 422
    with at("2026-03-10 09:31"):
        breached = client.get("/api/v1/tickets/?sla=breached", headers=headers).json()["items"]
    assert [t["number"] for t in breached] == [urgent.number]
    assert next(s for s in breached[0]["sla"] if s["target"] == "first_response")["breached"] is True


def test_api_timeline_has_sla_events(client, agent_alice, urgent):
    from kefu.tickets.tests.test_api import bearer

    with at("2026-03-10 09:45"):
        row = first_response(urgent)
        sla_fire_breach(sla_id=row.pk, due_at=row.due_at)
        entries = client.get(f"/api/v1/tickets/{urgent.number}/timeline", headers=bearer(agent_alice)).json()
    kinds = [e["kind"] for e in entries]
    assert "sla_warning" in kinds and "sla_breach" in kinds  # the owed warnings fire first
    breach = next(e for e in entries if e["kind"] == "sla_breach")
    assert breach["data"]["target"] == "first_response" and breach["data"]["late"] is True


def test_no_default_policy_means_no_time_limits_not_an_error(agent_alice):
    ticket = TicketFactory(actor=agent_alice)
    SlaPolicy.objects.all().delete()
    sla_config_save(obj=BusinessCalendar.objects.get(is_default=True))  # bumps the token
    sla_recompute_all()
    assert not TicketSla.objects.filter(ticket=ticket).exists()
    TicketFactory(actor=agent_alice)  # ticket services still work
