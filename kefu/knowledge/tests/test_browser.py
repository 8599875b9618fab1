"""The canned-reply picker in the ticket's reply box, in a real browser (Debian's chromium through
Playwright): typing pinyin initials finds the reply, choosing it inserts the text filled for this
ticket at the agent's cursor (keeping what they typed), closes the list and counts one use; the
reply is sent as the agent edited it."""

from __future__ import annotations

from typing import Any

import pytest

from kefu.accounts.choices import Presence, Role
from kefu.accounts.models import Team
from kefu.knowledge.models import CannedReply
from kefu.knowledge.services import ReplyInput, reply_save
from kefu.tests.factories import CustomerFactory, TierFactory, UserFactory
from kefu.tests.test_browser import launched_browser, log_in, new_page, settled
from kefu.tickets.choices import EventKind
from kefu.tickets.models import Ticket, TicketMessage
from kefu.tickets.services import TicketInput, ticket_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(transactional_db) -> dict[str, Any]:
    """Made before the browser starts (see kefu/tests/test_browser.py `cast`)."""
    front = Team.objects.create(name="一线客服", is_default=True)
    TierFactory(name="普通", is_default=True)
    manager = UserFactory(username="mgr1", display_name="周经理", role=Role.MANAGER)
    agent = UserFactory(username="agent1", display_name="王坐席", team=front, presence=Presence.ONLINE)
    refund = reply_save(actor=manager, data=ReplyInput(
        title="退款办理", shortcut="tk", body="{客户姓名}您好，您的退款申请已提交（工单 {工单号}）。"))
    reply_save(actor=manager, data=ReplyInput(title="退货地址", shortcut="th", body="退货请寄到总仓。"))
    reply_save(actor=manager, data=ReplyInput(title="宽带报修", shortcut="kd", body="师傅将在24小时内联系您。"))
    customer = CustomerFactory(name="赵女士", phones=["13911112222"])
    ticket = ticket_create(actor=agent, data=TicketInput(title="退款没到账", customer=customer, assignee=agent, team=front))
    return {"agent": agent, "ticket": ticket.number, "refund": refund.pk}


def test_pinyin_initials_pick_a_reply_inserted_at_the_cursor(desk, live_server) -> None:
    from playwright.sync_api import expect

    number = desk["ticket"]
    with launched_browser() as browser:
        page = new_page(browser)
        log_in(page, live_server.url, desk["agent"].username)
        page.goto(f"{live_server.url}/tickets/{number}/")
        settled(page)
        compose = page.locator("#ticket-compose")
        body = compose.locator("textarea[name=body]")
        body.fill("稍等。")
        body.press("Home")  # the cursor before what was typed: the reply goes there
        compose.locator(".reply-picker input[name=q]").press_sequentially("tkbl")
        picker = compose.locator("#reply-picker li")
        expect(picker).to_have_count(1)
        expect(picker).to_contain_text("退款办理")
        picker.get_by_role("link").click()
        expect(body).to_have_value(f"赵女士您好，您的退款申请已提交（工单 {number}）。稍等。")
        expect(compose.locator("#reply-picker li")).to_have_count(0)  # the list closed
        expect(compose.locator(".reply-picker input[name=q]")).to_have_value("")
        compose.locator("input[name=kind][value=reply]").check()
        compose.get_by_role("button", name="Send").click()
        expect(page.locator("#ticket-timeline article.msg-reply")).to_contain_text("赵女士您好，您的退款申请已提交")
    # What the page did is what was stored (read after the browser is gone).
    assert CannedReply.objects.get(pk=desk["refund"]).usage_count == 1
    message = TicketMessage.objects.get(ticket__number=number)
    assert message.body == f"赵女士您好，您的退款申请已提交（工单 {number}）。稍等。"
    assert Ticket.objects.get(number=number).events.filter(kind=EventKind.REPLIED).exists()
