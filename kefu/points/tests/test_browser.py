"""In a real browser (Debian's chromium under Playwright): an agent redeems a gift, the balance
holds it, the team lead approves it on the approvals page, and the agent's balance has dropped."""

from __future__ import annotations

import pytest

from kefu.accounts.choices import Role
from kefu.accounts.models import Team
from kefu.points import selectors, services
from kefu.tests.factories import UserFactory
from kefu.tests.test_browser import launched_browser, log_in, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_redeems_lead_approves_balance_changes(live_server) -> None:
    from playwright.sync_api import expect

    team = Team.objects.create(name="一线客服", is_default=True)
    manager = UserFactory(username="manager", display_name="马经理", role=Role.MANAGER)
    lead = UserFactory(username="lead", display_name="林组长", role=Role.TEAM_LEAD, team=team)
    agent = UserFactory(username="agent", display_name="艾丽丝", team=team)
    gift = services.item_save(actor=manager, name="保温杯", kind="gift", cost=10)
    services.points_award(actor=lead, agent_id=agent.pk, points=8, reason="主动帮助新同事")
    services.points_award(actor=lead, agent_id=agent.pk, points=7, reason="客户书面表扬")
    base = live_server.url
    with launched_browser() as browser:
        page = new_page(browser)
        log_in(page, base, "agent")
        page.goto(f"{base}/points/")
        expect(page.locator("[data-points-balance]")).to_have_text("15")
        page.locator(f'[data-points-item="{gift.name}"] button').click()
        expect(page.locator("[data-points-available]")).to_have_text("5")
        expect(page.locator("[data-points-balance]")).to_have_text("15")

        lead_page = new_page(browser)
        log_in(lead_page, base, "lead")
        lead_page.goto(f"{base}/points/approvals/")
        row = lead_page.locator('[data-points-pending="agent"]')
        expect(row).to_contain_text("保温杯")
        row.locator('button[value="approve"]').click()
        expect(lead_page.locator('[data-points-pending="agent"]')).to_have_count(0)
        expect(lead_page.locator(f'[data-points-balance-of="{agent.pk}"]')).to_have_text("5")

        page.reload()
        expect(page.locator("[data-points-balance]")).to_have_text("5")
        expect(page.locator("[data-points-redemptions] [data-points-status]").first).to_have_text("Approved")
    assert selectors.balance_of(agent.pk) == 5
