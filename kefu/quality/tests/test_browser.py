"""Quality inspection in a real browser (Debian's chromium through Playwright): a manager draws the
plan, the inspector sees the AI pre-screen's findings next to the conversation (evidence marked,
the fatal item pre-filled) and submits a failing score, the agent appeals from My results, the team
lead forwards, the QA lead upholds with corrected scores, and the agent's pass rate changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission

from kefu.accounts.choices import Presence, Role
from kefu.accounts.models import Team, User
from kefu.quality import sampling, services
from kefu.quality.choices import ItemKind
from kefu.quality.models import Appeal, Inspection
from kefu.quality.tests.conftest import closed_ticket
from kefu.tests.factories import TierFactory, UserFactory
from kefu.tests.test_browser import launched_browser, log_in, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def center(transactional_db) -> dict[str, Any]:
    front = Team.objects.create(name="一线客服", is_default=True)
    TierFactory(name="普通", is_default=True)
    manager = UserFactory(username="mgr1", display_name="周经理", role=Role.MANAGER)
    agent = UserFactory(username="agent1", display_name="王坐席", team=front, presence=Presence.ONLINE)
    lead = UserFactory(username="lead1", display_name="李组长", team=front, role=Role.TEAM_LEAD)
    qa = UserFactory(username="qa1", display_name="孙质检", role=Role.QA)
    qa_lead = UserFactory(username="qalead", display_name="钱主管", role=Role.QA)
    qa_lead.user_permissions.add(Permission.objects.get(codename="lead_qa", content_type__app_label="quality"))
    qa_lead = User.objects.get(pk=qa_lead.pk)
    v = services.scorecard_create(actor=qa_lead, name="热线", pass_mark=80)
    s = services.scorecard_section_add(actor=qa_lead, version=v, name="服务态度")
    polite = services.scorecard_item_add(actor=qa_lead, section=s, name="礼貌用语", points=100)
    abuse = services.scorecard_item_add(actor=qa_lead, section=s, name="辱骂客户", kind=ItemKind.FATAL)
    services.scorecard_version_publish(actor=qa_lead, version=v)
    ticket = closed_ticket(agent, reply="滚，别再打来了")  # the close's reaction captures and pre-screens it
    plan = sampling.plan_save(actor=manager, name="热线月度抽检", scorecard_id=v.scorecard_id, blind_share="0",
                              recheck_share="0", inspector_ids=[qa.pk])
    return {"manager": manager, "agent": agent, "lead": lead, "qa": qa, "qa_lead": qa_lead, "ticket": ticket,
            "plan": plan, "polite": polite.pk, "abuse": abuse.pk}


def test_draw_prescreen_score_appeal_decide_pass_rate_changes(center, live_server) -> None:
    from playwright.sync_api import expect

    url = live_server.url
    with launched_browser() as browser:
        page = new_page(browser)
        log_in(page, url, "mgr1")
        page.goto(f"{url}/quality/plans/")
        page.locator(f"article[data-plan='{center['plan'].pk}']").get_by_role("button", name="Draw now").click()
        expect(page.locator("body")).to_contain_text("1 contacts drawn.")

        page = new_page(browser)
        log_in(page, url, "qa1")
        page.goto(f"{url}/quality/")
        page.locator("#qa-my-queue").get_by_role("link", name=center["ticket"].number).click()
        expect(page.locator("#qa-findings")).to_contain_text("辱骂")
        expect(page.locator(".qa-turns mark.qa-evidence").first).to_have_text("滚")
        # the pre-screen pre-filled the fatal item as violated; the inspector confirms it
        expect(page.locator(f"select[name=score_{center['abuse']}]")).to_have_value("0")
        page.fill(f"input[name=score_{center['polite']}]", "60")
        page.get_by_role("button", name="Submit").click()
        expect(page.locator("body")).to_contain_text("Inspection submitted.")

        page = new_page(browser)
        log_in(page, url, "agent1")
        page.goto(f"{url}/quality/mine/")
        expect(page.locator("#qa-my-rate")).to_contain_text("0.0%")
        page.fill("input[name=reason]", "客户先辱骂我，我只是请他冷静")
        page.get_by_role("button", name="Appeal").click()
        expect(page.locator("body")).to_contain_text("Appeal sent to your team lead.")

        page = new_page(browser)
        log_in(page, url, "lead1")
        page.goto(f"{url}/quality/appeals/")
        page.locator("#qa-appeals-waiting").get_by_role("link", name=center["ticket"].number).click()
        page.get_by_role("button", name="Support and forward to the QA lead").click()
        expect(page.locator("#qa-appeal-state")).to_contain_text("With the QA lead")

        page = new_page(browser)
        log_in(page, url, "qalead")
        page.goto(f"{url}/quality/appeals/")
        page.locator("#qa-appeals-waiting").get_by_role("link", name=center["ticket"].number).click()
        page.select_option(f"select[name=score_{center['abuse']}]", "1")
        page.fill(f"input[name=score_{center['polite']}]", "90")
        page.get_by_role("button", name="Uphold").click()
        expect(page.locator("#qa-appeal-state")).to_contain_text("Upheld")
        page.goto(f"{url}/quality/results/")
        expect(page.locator("#qa-pass-rate")).to_contain_text("100.0%")

        page = new_page(browser)
        log_in(page, url, "agent1")
        page.goto(f"{url}/quality/mine/")
        expect(page.locator("#qa-my-rate")).to_contain_text("100.0%")
    appeal = Appeal.objects.get()
    assert appeal.state == "upheld" and appeal.result is not None and appeal.result.total == 90
    assert Inspection.objects.filter(item__source_id=center["ticket"].pk).count() == 2
