"""Complaint management in a real browser (Debian's chromium under Playwright): a spike of complaints
is raised as a red warning from the live board, the lead acknowledges it, opens an incident from it,
notifies every linked customer at once and resolves the incident with its tickets. Helpers and
conventions from kefu/tests/test_browser.py (pages in English; no ORM while the browser runs)."""

from __future__ import annotations

from typing import Any

import pytest

from kefu.accounts.choices import Role
from kefu.accounts.models import Team
from kefu.complaints.models import ComplaintWarning, Incident, IncidentTicket
from kefu.complaints.services import complaints_install_defaults
from kefu.complaints.tests.conftest import history
from kefu.tests.factories import CategoryFactory, CustomerFactory, TierFactory, UserFactory
from kefu.tests.test_browser import TIMEOUT_MS, launched_browser, log_in, new_page, settled
from kefu.tickets.choices import TicketKind, TicketStatus
from kefu.tickets.models import Ticket, TicketMessage
from kefu.tickets.services import TicketInput, ticket_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SPIKE = 20
BULK_MS = 90_000  # notify and resolve write every linked ticket: slow on a busy 2-core machine


@pytest.fixture
def spike(transactional_db) -> dict[str, Any]:
    """Two months of ordinary complaint volume, then 20 broadband complaints in the last minutes
    (each counted by the after-commit reaction as it is created). Made before the browser starts."""
    complaints_install_defaults()
    front = Team.objects.create(name="一线客服", is_default=True)
    TierFactory(name="普通", is_default=True)
    lead = UserFactory(username="lead1", display_name="林组长", team=front, role=Role.TEAM_LEAD)
    agent = UserFactory(username="agent1", display_name="王坐席", team=front)
    broadband = CategoryFactory(name="网络故障", parent=CategoryFactory(name="宽带"))
    history(broadband)
    numbers = []
    for i in range(SPIKE):
        customer = CustomerFactory(name=f"客户{i:02d}", phones=[f"1391111{i:04d}"])
        ticket = ticket_create(
            actor=agent,
            data=TicketInput(
                title="宽带断网，一直上不了网",
                kind=TicketKind.COMPLAINT,
                category=broadband,
                customer=customer,
            ),
        )
        numbers.append(ticket.number)
    return {"lead": lead, "numbers": numbers, "category": broadband}


def test_spike_warning_acknowledged_incident_notified_and_resolved(spike, live_server) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    base = live_server.url
    with launched_browser() as browser:
        page = new_page(browser)
        log_in(page, base, spike["lead"].username)
        page.goto(f"{base}/complaints/")
        expect(page.locator("table.warnings tr.lv-red")).to_have_count(0)

        # The spike is raised from the live board (the clock would do the same within 10 minutes).
        page.locator("#warnings-check-now").click(timeout=BULK_MS)
        red = page.locator("table.warnings tr.lv-red", has_text="网络故障")
        expect(red).to_have_count(1)
        expect(red).to_contain_text(str(SPIKE))
        red.get_by_role("link").first.click()

        # Acknowledge: the first duty of the red level.
        expect(page.locator("#warning-status")).to_have_text("Open")
        page.locator("#warning-ack").click()
        expect(page.locator("#warning-status")).to_have_text("Acknowledged")

        # An incident from the warning links every ticket behind it.
        page.locator("#warning-incident").click()
        expect(page.locator("#incident-status")).to_have_text("Open")
        expect(page.locator("#incident-ticket-count")).to_contain_text(f"{SPIKE} linked tickets")

        # One status note to every linked customer, then the bulk resolve.
        page.fill("#incident-notify-body", "您所在区域宽带故障已定位，工程师正在抢修。")
        page.locator("#incident-notify").click(timeout=BULK_MS)
        expect(page.locator("ul.timeline")).to_contain_text(
            f"{SPIKE} customers: 您所在区域宽带故障已定位", timeout=BULK_MS
        )
        page.fill("#incident-resolve-comment", "光缆已熔接，网络恢复。")
        page.locator("#incident-resolve").click(timeout=BULK_MS)
        expect(page.locator("#incident-status")).to_have_text("Resolved", timeout=BULK_MS)
        settled(page)

    # What the pages showed is what was stored (read after the browser is gone).
    warning = ComplaintWarning.objects.get(dimension="category", key=str(spike["category"].pk))
    assert warning.level.code == "red" and warning.acknowledged_by == spike["lead"]
    incident = Incident.objects.get(warning=warning)
    linked = set(IncidentTicket.objects.filter(incident=incident).values_list("ticket__number", flat=True))
    assert linked == set(spike["numbers"])
    assert (
        TicketMessage.objects.filter(body="您所在区域宽带故障已定位，工程师正在抢修。", kind="reply").count()
        == SPIKE
    )
    tickets = Ticket.objects.filter(number__in=spike["numbers"])
    assert set(tickets.values_list("status", flat=True)) == {TicketStatus.RESOLVED}
    assert incident.status == "resolved"
