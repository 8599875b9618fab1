"""The weekly complaint bulletin (投诉周报): the selector, and its section in the report packs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from kefu.complaints import selectors, services
from kefu.complaints.models import Complaint, ComplaintWarning, RootCause, UpstreamAction, WarningLevel
from kefu.conftest import login
from kefu.performance.periods import Period
from kefu.reports.build import build
from kefu.reports.choices import Section
from kefu.reports.services import pack_create
from kefu.tests.factories import CategoryFactory, CustomerFactory, TicketFactory
from kefu.tickets.choices import TicketKind
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db

WEEK = date(2026, 11, 23)  # a Monday


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), timezone.get_current_timezone())


def _complaint(actor, category, customer, at: datetime, **flags) -> Complaint:  # type: ignore[no-untyped-def]
    ticket = TicketFactory(
        actor=actor, kind=TicketKind.COMPLAINT, title="投诉", category=category, customer=customer
    )
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at)
    complaint = services.complaint_record(ticket_id=ticket.pk)
    assert complaint is not None
    # The flags as the table says (complaint_record computes repeat from the others, in creation order).
    Complaint.objects.filter(pk=complaint.pk).update(**{"is_repeat": False, "is_escalated": False, **flags})
    return complaint


def _warning(code: str, at: datetime, n: int) -> None:
    ComplaintWarning.objects.create(
        number=f"YJ-{code}-{n}",
        level=WarningLevel.objects.get(code=code),
        dimension="all",
        key="",
        label="全部",
        window="hour",
        observed=10,
        expected=2.0,
        ratio=5.0,
        period_start=at,
        period_end=at,
        raised_at=at,
    )


@pytest.fixture
def week(defaults, agent_alice, broadband):
    billing = CategoryFactory(name="账单")
    gd = CustomerFactory(name="粤", region="广东省")
    bj = CustomerFactory(name="京", region="北京市")
    system = RootCause.objects.get(code="system")
    # This week: 5 complaints (2 repeat, 1 escalated), broadband 3, billing 2; 3 in 广东.
    for i, (cat, cust) in enumerate(
        [(broadband, gd), (broadband, gd), (broadband, bj), (billing, gd), (billing, bj)]
    ):
        flags = {"is_repeat": i < 2, "is_escalated": i == 4, "cause": system if i < 3 else None}
        _complaint(agent_alice, cat, cust, _at(WEEK + timedelta(days=i)), **flags)
    # The week before: 2 complaints (1 repeat); next week: 1 (not counted).
    _complaint(agent_alice, broadband, gd, _at(WEEK - timedelta(days=3)), is_repeat=True)
    _complaint(agent_alice, billing, bj, _at(WEEK - timedelta(days=6)))
    _complaint(agent_alice, billing, bj, _at(WEEK + timedelta(days=8)))
    _warning("red", _at(WEEK + timedelta(days=1)), 1)
    _warning("blue", _at(WEEK + timedelta(days=2)), 2)
    _warning("yellow", _at(WEEK - timedelta(days=2)), 3)
    UpstreamAction.objects.create(
        cause=system,
        title="扩容",
        owner=agent_alice,
        due_date=WEEK,
        created_at=_at(WEEK - timedelta(days=10)),
    )
    return {"broadband": broadband, "billing": billing}


def test_the_weekly_bulletin_counts_the_week_against_the_week_before(week, lead_linda):
    b = selectors.weekly_bulletin(user=lead_linda, week_start=WEEK)
    figures = {f.key: (f.now, f.before, f.change) for f in b.figures}
    assert figures == {
        "complaints": (5, 2, 150.0),
        "repeat": (2, 1, 100.0),
        "escalated": (1, 0, None),
        "warnings": (2, 1, 100.0),
        "high_warnings": (1, 0, None),  # red and orange only
        "incidents": (0, 0, None),
    }
    assert b.top_categories == [("网络故障", 3), ("账单", 2)]
    assert b.top_regions == [("广东省", 3), ("北京市", 2)]
    assert b.top_causes == [("系统故障", 3)]
    assert b.actions_due == 1


def test_the_bulletin_is_a_section_of_the_report_packs(week, manager_mike):
    pack = pack_create(
        actor=manager_mike, name="投诉周报", period_kind="week", sections=[Section.COMPLAINT_BULLETIN]
    )
    data = build(pack=pack, period=Period.of("week", WEEK))
    section = data.section(Section.COMPLAINT_BULLETIN)
    assert section is not None and [s.key for s in data.sections] == [Section.COMPLAINT_BULLETIN]
    assert section.row_keys[:3] == ["complaints", "repeat", "escalated"]
    assert section.rows[0][1:] == [5, 2, 150.0]
    assert "网络故障 3" in section.note and "广东省 3" in section.note
    # Every pack gets it when it names no sections.
    assert Section.COMPLAINT_BULLETIN in Section.values


def test_the_weekly_bulletin_page_shows_the_week_chosen(week, client, lead_linda):
    login(client, lead_linda)
    # Any day of the week picks its Monday.
    page = client.get("/complaints/bulletin/weekly/", {"week": (WEEK + timedelta(days=3)).isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    assert "2026-11-23 – 2026-11-29" in html
    assert 'data-figure="complaints" data-now="5" data-before="2"' in html
    assert 'data-figure="repeat" data-now="2" data-before="1"' in html
    assert 'data-figure="high_warnings" data-now="1" data-before="0"' in html
    assert "网络故障 · 3" in html and "广东省 · 3" in html and "系统故障 · 3" in html
    assert 'id="weekly-actions-due"' in html
    assert (
        f"?week={(WEEK - timedelta(days=7)).isoformat()}" in html
        and f"?week={(WEEK + timedelta(days=7)).isoformat()}" in html
    )
    # The week before has its own figures; a bad date falls back to the last finished week.
    before = client.get(
        "/complaints/bulletin/weekly/", {"week": (WEEK - timedelta(days=7)).isoformat()}
    ).content.decode()
    assert 'data-figure="complaints" data-now="2" data-before="0"' in before
    assert client.get("/complaints/bulletin/weekly/", {"week": "2026-13-45"}).status_code == 200


def test_the_bulletin_and_root_cause_pages_take_an_impossible_date_as_no_date(client, lead_linda):
    login(client, lead_linda)
    assert client.get("/complaints/bulletin/", {"end": "2026-13-45"}).status_code == 200
    assert client.get("/complaints/causes/", {"start": "2026-02-30", "end": "2026-13-45"}).status_code == 200
    assert client.get("/complaints/causes/export.csv", {"start": "2026-02-30"}).status_code == 200
