"""In a real browser (Debian's chromium under Playwright): a queue's SLA badge counts down and turns
red without a page reload. Helpers and conventions from kefu/tests/test_browser.py."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from kefu.accounts.choices import Presence
from kefu.accounts.models import Team
from kefu.sla.config import sla_config_changed
from kefu.sla.models import BusinessCalendar, SlaPolicy
from kefu.tests.factories import TicketFactory, UserFactory
from kefu.tests.test_browser import TIMEOUT_MS, launched_browser, log_in, new_page, settled
from kefu.tickets.choices import Priority

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_queue_badge_counts_down_and_turns_red_without_reload(live_server) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    # Our own 7×24 policy first in line, so the test does not depend on the seeded rows (a
    # transactional test may run after another one flushed them) nor on the time of day.
    always = BusinessCalendar.objects.create(name="浏览器测试 7×24", is_24x7=True, follows_chinese_holidays=False)
    SlaPolicy.objects.create(
        name="浏览器测试", position=0, calendar=always, match_priorities=[Priority.URGENT],
        first_response_minutes=30, warn_shares=[50, 80],
    )
    sla_config_changed()
    team = Team.objects.create(name="一线客服", is_default=True)
    agent = UserFactory(username="agent1", display_name="王坐席", team=team, presence=Presence.ONLINE)
    ticket = TicketFactory(actor=agent, priority=Priority.URGENT, assignee=agent, title="发票抬头错了")
    created = timezone.now()
    badge_id = f"#sla-badge-{ticket.pk}"
    with launched_browser() as browser:
        page = new_page(browser)
        log_in(page, live_server.url, agent.username)
        page.goto(f"{live_server.url}/tickets/?scope=mine")
        badge = page.locator(badge_id)
        expect(badge).to_have_class(re.compile(r"\bsla-ok\b"))
        expect(badge).to_contain_text("left")
        page.evaluate("window.kefuNoReload = true")

        # The server's clock is moved (the live server's thread is in this process), not the browser's.
        # The poller fires every 60 s and on `ticketUpdated`; the event saves the test a minute.
        with time_machine.travel(created + timedelta(minutes=25), tick=True):  # 83 % of 30 minutes
            page.evaluate("document.body.dispatchEvent(new CustomEvent('ticketUpdated'))")
            expect(badge).to_have_class(re.compile(r"\bsla-risk\b"))
            expect(badge).to_contain_text("left")
        with time_machine.travel(created + timedelta(minutes=35), tick=True):
            page.evaluate("document.body.dispatchEvent(new CustomEvent('ticketUpdated'))")
            expect(badge).to_have_class(re.compile(r"\bsla-breached\b"))
            expect(badge).to_contain_text("overdue")
            settled(page)
        assert page.evaluate("window.kefuNoReload") is True  # same document: no reload
        expect(page.locator("table.tickets tbody tr", has_text="发票抬头错了")).to_have_count(1)
