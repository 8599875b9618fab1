"""Working hours (several periods per weekday) edited on our own calendar page."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext

from kefu.conftest import login
from kefu.core.errors import DomainError
from kefu.sla.errors import SlaErrorCode
from kefu.sla.forms import WorkingHoursForm
from kefu.sla.models import BusinessCalendar, SlaConfigVersion, TicketSla, WorkingPeriod
from kefu.sla.selectors import calendar_periods
from kefu.sla.services import calendar_periods_set, sla_recompute_open
from kefu.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
HX = {"HTTP_HX_REQUEST": "true"}


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture
def china(db) -> BusinessCalendar:
    return BusinessCalendar.objects.get(is_default=True)


def test_seeded_hours_are_two_periods_on_weekdays(china):
    periods = calendar_periods(calendar=china)
    assert periods[:2] == [(0, time(9), time(12)), (0, time(13, 30), time(18))]
    assert {p[0] for p in periods} == {0, 1, 2, 3, 4}


def test_set_hours_replaces_schedule_and_moves_open_tickets(china, agent_alice, manager_mike):
    with time_machine.travel(t("2026-03-10 11:30"), tick=False):
        ticket = TicketFactory(actor=agent_alice)  # first response 120: 11:30-12:00, 13:30-15:00
    fr = TicketSla.objects.get(ticket=ticket, target="first_response")
    assert fr.due_at == t("2026-03-10 15:00")
    token = SlaConfigVersion.objects.get().token
    # A shorter lunch (12:00-13:00) on every weekday, Saturday mornings, Sunday closed.
    week = [(d, time(9), time(12)) for d in range(5)] + [(d, time(13), time(18)) for d in range(5)]
    rows = calendar_periods_set(actor=manager_mike, calendar_id=china.pk, periods=[*week, (5, time(9), time(12))])
    assert len(rows) == 11
    assert calendar_periods(calendar=china)[:2] == [(0, time(9), time(12)), (0, time(13), time(18))]
    assert (5, time(9), time(12)) in calendar_periods(calendar=china)
    assert SlaConfigVersion.objects.get().token != token
    with time_machine.travel(t("2026-03-10 11:31"), tick=False):
        sla_recompute_open()  # what the task enqueued on commit runs
    fr.refresh_from_db()
    assert fr.due_at == t("2026-03-10 14:30")


def test_midnight_end_and_touching_periods_are_fine(china, manager_mike):
    calendar_periods_set(
        actor=manager_mike, calendar_id=china.pk,
        periods=[(0, time(0), time(8)), (0, time(8), time(0)), (2, time(22), time(0))],
    )
    assert WorkingPeriod.objects.filter(calendar=china).count() == 3


@pytest.mark.parametrize(
    ("periods", "code", "field"),
    [
        ([(0, time(12), time(9))], SlaErrorCode.BAD_PERIOD, "weekday_0"),
        ([(3, time(9), time(9))], SlaErrorCode.BAD_PERIOD, "weekday_3"),
        ([(1, time(9), time(12)), (1, time(11), time(14))], SlaErrorCode.PERIODS_OVERLAP, "weekday_1"),
        ([(6, time(13), time(0)), (6, time(9), time(13, 30))], SlaErrorCode.PERIODS_OVERLAP, "weekday_6"),
        ([(7, time(9), time(12))], SlaErrorCode.BAD_PERIOD, None),
    ],
)
def test_invalid_hours_are_refused_and_nothing_changes(china, manager_mike, periods, code, field):
    before = calendar_periods(calendar=china)
    with pytest.raises(DomainError) as exc:
        calendar_periods_set(actor=manager_mike, calendar_id=china.pk, periods=periods)
    assert exc.value.code == code
    assert list(exc.value.fields) == ([field] if field else [])
    assert calendar_periods(calendar=china) == before


def test_only_managers_and_real_calendars(china, agent_alice, lead_linda, manager_mike):
    for user in (agent_alice, lead_linda):
        with pytest.raises(DomainError) as exc:
            calendar_periods_set(actor=user, calendar_id=china.pk, periods=[])
        assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        calendar_periods_set(actor=manager_mike, calendar_id=99999, periods=[])
    assert exc.value.status == 404
    always = BusinessCalendar.objects.get(is_24x7=True)
    with pytest.raises(DomainError) as exc:
        calendar_periods_set(actor=manager_mike, calendar_id=always.pk, periods=[(0, time(9), time(12))])
    assert exc.value.code == SlaErrorCode.CALENDAR_24X7


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("09:00-12:00, 13:30-18:00", [(time(9), time(12)), (time(13, 30), time(18))]),
        ("9:00～12:00，13:30 - 18:00", [(time(9), time(12)), (time(13, 30), time(18))]),
        ("09：00-12：00 13:30-24:00", [(time(9), time(12)), (time(13, 30), time(0))]),
        ("", []),
    ],
)
def test_form_reads_periods(text, parsed):
    form = WorkingHoursForm({"weekday_0": text})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["weekday_0"] == parsed


@pytest.mark.parametrize("text", ["9-12", "09:00-25:00", "09:00-12:00, lunch", "09:61-10:00"])
def test_form_refuses_what_is_not_a_period(text):
    form = WorkingHoursForm({"weekday_4": text})
    assert not form.is_valid()
    assert "09:00-12:00" in form.errors["weekday_4"][0]


def test_page_access_and_edit(client, china, agent_alice, manager_mike, django_capture_on_commit_callbacks):
    url = reverse("sla:calendar_hours", args=[china.pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    login(client, agent_alice)
    assert client.get(url).status_code == 403
    assert client.post(url, {"weekday_0": "09:00-18:00"}).status_code == 403
    login(client, manager_mike)
    html = client.get(url).content.decode()
    assert 'value="09:00-12:00, 13:30-18:00"' in html and gettext("Monday") in html
    assert client.get(reverse("sla:calendar_hours", args=[99999])).status_code == 404

    # Overlap: a Chinese error on Tuesday's box, 422 so htmx swaps the form in, nothing saved.
    response = client.post(url, {"weekday_1": "09:00-12:00, 11:00-14:00"}, **HX, HTTP_HX_TARGET="calendar-hours")
    body = response.content.decode()
    assert response.status_code == 422 and body.lstrip().startswith('<section class="card" id="calendar-hours"')
    assert escape(gettext("%(first)s and %(second)s overlap.") % {"first": "09:00–12:00", "second": "11:00–14:00"}) in body
    assert WorkingPeriod.objects.filter(calendar=china, weekday=1).count() == 2
    response = client.post(url, {"weekday_2": "18:00-09:00"})
    ends = gettext("%(start)s–%(end)s: a working period must end after it starts.") % {"start": "18:00", "end": "09:00"}
    assert response.status_code == 422 and escape(ends) in response.content.decode()
    response = client.post(url, {"weekday_2": "上午九点到十二点"})
    assert response.status_code == 422 and "上午九点到十二点" in response.content.decode()
    assert WorkingPeriod.objects.filter(calendar=china, weekday=2).count() == 2

    # Saved over htmx: the fresh form comes back with a toast, one recompute task on commit.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            url, {"weekday_0": "08:30-12:00,13:00-17:30", "weekday_5": "10:00-16:00"}, **HX,
            HTTP_HX_TARGET="calendar-hours",
        )
    assert response.status_code == 200 and "kefuToast" in response["HX-Trigger"]
    assert 'value="08:30-12:00, 13:00-17:30"' in response.content.decode()
    assert len(callbacks) == 1
    assert calendar_periods(calendar=china) == [
        (0, time(8, 30), time(12)), (0, time(13), time(17, 30)), (5, time(10), time(16))
    ]
    # A plain POST redirects back to the page (post/redirect/get).
    response = client.post(url, {"weekday_0": "09:00-18:00"})
    assert response.status_code == 302 and response["Location"] == url
