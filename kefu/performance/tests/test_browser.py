"""In a real browser (Debian's chromium under Playwright): the manager dashboard opens with its charts,
a chart's table view toggles, and clicking a point of the complaint-rate trend lists the tickets
behind it. Helpers and conventions from kefu/tests/test_browser.py."""

from __future__ import annotations

import pytest

from kefu.accounts.choices import Role
from kefu.accounts.models import Team
from kefu.tests.factories import TicketFactory, UserFactory
from kefu.tests.test_browser import TIMEOUT_MS, launched_browser, log_in, new_page
from kefu.tickets.choices import TicketKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_dashboard_drills_into_a_point(live_server) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    team = Team.objects.create(name="一线客服", is_default=True)
    manager = UserFactory(username="manager", display_name="马经理", role=Role.MANAGER)
    agent = UserFactory(username="agent1", display_name="王坐席", team=team)
    complaint = TicketFactory(actor=agent, assignee=agent, kind=TicketKind.COMPLAINT, title="宽带断网投诉")
    TicketFactory(actor=agent, assignee=agent, title="咨询资费")
    with launched_browser() as browser:
        page = new_page(browser)
        log_in(page, live_server.url, manager.username)
        page.goto(f"{live_server.url}/performance/dashboard/")
        expect(page.locator(".pf-live")).to_be_visible()
        expect(page.locator("#live-open .pf-big")).to_have_text("2")
        chart = page.locator("#chart-month-complaint_rate")
        expect(chart).to_have_attribute("data-ready", "1")
        # The table view of the same chart, then back.
        page.locator(".pf-toggle[data-target='chart-week-complaint_rate']").click()
        expect(page.locator("#chart-week-complaint_rate-table")).to_be_visible()
        expect(page.locator("#chart-week-complaint_rate")).to_be_hidden()
        expect(page.locator("#chart-month-complaint_rate-table tbody tr").last).to_contain_text("500.0")
        # Click this month's point (the last one): 1 complaint in 2 contacts = 500 per 1,000.
        chart.scroll_into_view_if_needed()
        x, y = page.evaluate(
            """() => {
                const el = document.getElementById('chart-month-complaint_rate');
                const c = echarts.getInstanceByDom(el);
                return c.convertToPixel({seriesIndex: 0}, [12, 500]);
            }"""
        )
        box = chart.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_url("**/performance/drill/**")
        expect(page.locator("#drill-tickets tbody tr")).to_have_count(1)
        expect(page.locator("#drill-tickets")).to_contain_text(complaint.number)
