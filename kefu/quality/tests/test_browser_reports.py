"""The weekly quality report and the case library in a real browser (Debian's chromium through
Playwright): the week's figures of two scored contacts (one pass, one fail), the by-agent table and the
Excel link; the case library lists the saved case, filters by tag and shows the conversation with the
phone number masked."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission

from kefu.accounts.choices import Presence, Role
from kefu.accounts.models import Team, User
from kefu.quality import cases, services
from kefu.quality.choices import ContactKind
from kefu.quality.models import InspectionItem
from kefu.quality.tests.conftest import closed_ticket
from kefu.tests.factories import TierFactory, UserFactory
from kefu.tests.test_browser import launched_browser, log_in, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scored(transactional_db) -> dict[str, Any]:
    front = Team.objects.create(name="一线客服", is_default=True)
    TierFactory(name="普通", is_default=True)
    agent = UserFactory(username="agent1", display_name="王坐席", team=front, presence=Presence.ONLINE)
    qa = UserFactory(username="qa1", display_name="孙质检", role=Role.QA)
    qa_lead = UserFactory(username="qalead", display_name="钱主管", role=Role.QA)
    qa_lead.user_permissions.add(Permission.objects.get(codename="lead_qa", content_type__app_label="quality"))
    qa_lead = User.objects.get(pk=qa_lead.pk)
    v = services.scorecard_create(actor=qa_lead, name="热线", pass_mark=80)
    s = services.scorecard_section_add(actor=qa_lead, version=v, name="服务态度")
    polite = services.scorecard_item_add(actor=qa_lead, section=s, name="礼貌用语", points=100)
    services.scorecard_version_publish(actor=qa_lead, version=v)
    good = closed_ticket(agent, reply="您好，已为您登记手机 13812345678，谢谢")
    bad = closed_ticket(agent, reply="您好，请稍等，谢谢")
    items = {t.pk: InspectionItem.objects.get(kind=ContactKind.TICKET, source_id=t.pk) for t in (good, bad)}
    passed = services.inspection_submit(actor=qa, item_id=items[good.pk].pk, scores={str(polite.pk): 95})
    services.inspection_submit(actor=qa, item_id=items[bad.pk].pk, scores={str(polite.pk): 50})
    case = cases.case_save(actor=qa, inspection_id=passed.pk, note="示范：登记信息并致谢")
    return {"case": case}


def test_weekly_report_and_case_library_pages(scored, live_server) -> None:
    from playwright.sync_api import expect

    url = live_server.url
    with launched_browser() as browser:
        page = new_page(browser)
        log_in(page, url, "qalead")
        page.goto(f"{url}/quality/weekly/")
        expect(page.locator("h1")).to_contain_text("Weekly quality report")
        summary = page.locator("#qa-weekly-summary")
        expect(summary.locator("[data-figure=inspected] strong")).to_have_text("2")
        expect(summary.locator("[data-figure=pass_rate]")).to_have_attribute("data-value", "50.0")
        expect(page.locator("#qa-weekly-agents")).to_contain_text("王坐席")
        week = page.locator("#qa-week").get_attribute("data-week")
        expect(page.locator("#qa-weekly-xlsx")).to_have_attribute("href", f"/quality/weekly.xlsx?week={week}")
        page.locator("#qa-prev-week").click()  # the week before has nothing
        expect(summary.locator("[data-figure=inspected] strong")).to_have_text("0")

        page.goto(f"{url}/quality/cases/")
        expect(page.locator("h1")).to_contain_text("Case library")
        row = page.locator(f"#qa-cases tr[data-case='{scored['case'].pk}']")
        expect(row).to_contain_text("Excellent case")
        page.goto(f"{url}/quality/cases/?tag=problem")
        expect(page.locator("#qa-cases")).to_contain_text("No cases yet.")
        page.goto(f"{url}/quality/cases/?tag=excellent")
        page.locator(f"#qa-cases tr[data-case='{scored['case'].pk}'] a").click()
        body = page.locator("body")
        expect(body).to_contain_text("138****5678")
        expect(body).not_to_contain_text("13812345678")
        expect(body).to_contain_text("示范：登记信息并致谢")
