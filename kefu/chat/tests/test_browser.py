"""The whole chat in a real browser over a real ASGI server (uvicorn, started here in a thread so it
shares the test database and the in-memory push layer): a visitor on a plain third-party page
opens the widget, the bot answers from the knowledge base, the visitor asks for a person, an agent
in a second browser context accepts in the console, replies, makes a ticket and ends; the visitor
rates the chat."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import uvicorn

from kefu.accounts.choices import Presence, Role
from kefu.accounts.models import Team
from kefu.asgi import application
from kefu.chat import services
from kefu.chat.models import Conversation
from kefu.knowledge import services as ks
from kefu.knowledge.choices import ArticleStatus
from kefu.surveys.models import SurveyTemplate
from kefu.tests.factories import TierFactory, UserFactory
from kefu.tests.test_browser import TIMEOUT_MS, launched_browser, log_in, new_page
from kefu.tickets.choices import Channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_server(transactional_db) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            ws="websockets-sansio",
            lifespan="off",
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def desk(transactional_db) -> dict[str, Any]:
    team = Team.objects.create(name="一线客服", is_default=True)
    TierFactory(name="普通", is_default=True)
    agent = UserFactory(username="agent1", display_name="王坐席", team=team, presence=Presence.ONLINE)
    lead = UserFactory(username="lead1", display_name="林组长", team=team, role=Role.TEAM_LEAD)
    art = ks.article_create(
        actor=agent,
        data=ks.ArticleInput(
            title="退款到账时间", body_md="退款申请通过后，款项在三个工作日内退回原支付账户。", is_public=True
        ),
    )
    ks.article_transition(actor=agent, article_id=art.pk, status=ArticleStatus.IN_REVIEW)
    ks.article_transition(actor=lead, article_id=art.pk, status=ArticleStatus.PUBLISHED)
    SurveyTemplate.objects.create(
        name="在线客服",
        position=1,
        match_channels=[Channel.CHAT],
        title="请为在线服务打分",
        reasons=["回复及时", "回复慢", "没解决问题"],
    )
    return {"agent": agent}


def test_visitor_chats_with_the_bot_then_an_agent_who_ends_and_the_visitor_rates(desk, asgi_server) -> None:
    try:
        with launched_browser() as browser:
            walk(browser, base=asgi_server, agent_username=desk["agent"].username)
    finally:
        for httpd in _shops:
            httpd.shutdown()
            httpd.server_close()
        _shops.clear()
    conv = Conversation.objects.get()
    for _ in range(100):  # the widget thanks the visitor as it sends the rating: wait for the write
        if conv.rating is not None:
            break
        time.sleep(0.05)
        conv.refresh_from_db()
    assert conv.rating == 5 and conv.assignee == desk["agent"]
    assert conv.rating_reasons == ["回复及时"]
    assert conv.ticket is not None and conv.ticket.channel == Channel.CHAT
    assert "您好，我是王坐席" in conv.ticket.description and "退款多久到账" in conv.ticket.description


def shop_site(base: str) -> str:
    """A plain page on another origin (its own little HTTP server) that embeds the widget with one
    script tag, the way a customer's shop would."""
    page = (
        "<!doctype html><html><head><meta charset=utf-8><title>小店</title></head><body><h1>小店</h1>"
        f'<script src="{base}/chat/widget.js" data-title="小店客服" async></script></body></html>'
    ).encode()

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _shops.append(httpd)
    return f"http://127.0.0.1:{httpd.server_address[1]}/"


_shops: list[ThreadingHTTPServer] = []


def walk(browser: Any, *, base: str, agent_username: str) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    agent = new_page(browser)
    log_in(agent, base, agent_username)
    agent.goto(f"{base}/chat/console/")

    visitor = new_page(browser, mobile=True)
    visitor.goto(shop_site(base))
    visitor.get_by_role("button", name="在线客服").click()
    log = visitor.locator(".kefu-log")
    expect(log).to_contain_text("智能客服")
    visitor.locator(".kefu-input").fill("退款多久到账")
    visitor.get_by_role("button", name="发送").click()
    expect(log).to_contain_text("三个工作日")
    visitor.locator(".kefu-human").click()
    expect(log).to_contain_text("排在第 1 位")

    waiting = agent.locator("#chat-waiting li[data-conversation]")
    expect(waiting).to_have_count(1)
    waiting.first.click()
    expect(agent.locator("#chat-log")).to_contain_text("退款多久到账")  # the bot's transcript comes along
    agent.locator("#chat-accept").click()
    expect(log).to_contain_text("王坐席")
    agent.locator("#chat-input").fill("您好，我是王坐席，您的退款已在处理中。")
    agent.locator("#chat-send").click()
    expect(log).to_contain_text("您的退款已在处理中")
    agent.locator("#chat-ticket").click()
    expect(agent.locator("#chat-ticket-link")).to_be_visible()
    agent.locator("#chat-end").click()

    rating = visitor.locator(".kefu-rating")
    expect(rating).to_contain_text("请为在线服务打分")  # the surveys app's template for chats
    rating.locator(".kefu-reason", has_text="回复及时").click()
    expect(rating.locator(".kefu-reason", has_text="回复及时")).to_have_attribute("aria-pressed", "true")
    stars = visitor.locator(".kefu-star")
    expect(stars).to_have_count(5)
    stars.nth(4).click()
    expect(log).to_contain_text("感谢您的评价")


def test_the_agent_gets_an_offer_accepts_it_and_answers_with_a_canned_reply_by_slash(
    desk, asgi_server
) -> None:
    """The console's offer card and `/` picker: the visitor asks for a person, the chat is offered to
    the one agent online (a card with a countdown), who accepts, types "/tk", picks 退款办理 with
    Enter (filled with their name), sends it, and the visitor reads it."""
    from playwright.sync_api import expect

    manager = UserFactory(username="mgr1", role=Role.MANAGER, team=desk["agent"].team)
    ks.reply_save(
        actor=manager,
        data=ks.ReplyInput(
            title="退款办理", body="您好，我是{处理人}，退款将在三个工作日内原路退回。", shortcut="tk"
        ),
    )
    try:
        with launched_browser() as browser:
            expect.set_options(timeout=TIMEOUT_MS)
            agent = new_page(browser)
            log_in(agent, asgi_server, desk["agent"].username)
            agent.goto(f"{asgi_server}/chat/console/")

            visitor = new_page(browser, mobile=True)
            visitor.goto(shop_site(asgi_server))
            visitor.get_by_role("button", name="在线客服").click()
            log = visitor.locator(".kefu-log")
            expect(log).to_contain_text("智能客服")
            visitor.locator(".kefu-human").click()
            expect(log).to_contain_text("排在第 1 位")

            offer = agent.locator("#chat-offers .chat-offer")
            expect(offer).to_have_count(1)  # pushed: nobody reloaded the console
            expect(offer.locator(".chat-count")).to_have_text(re.compile(r"0:[0-3]\d"))
            # The first-reply badge counts down (its state and the m:ss left; its label is in the
            # page's language, English here, so the marker is what is checked).
            wait_badge = agent.locator("#chat-waiting .chat-badge").first
            expect(wait_badge).to_have_attribute("data-state", "running")
            expect(wait_badge).to_have_class(re.compile(r"\bsla-running\b"))
            expect(wait_badge).to_have_text(re.compile(r"\S.* [01]:[0-5]\d$"))
            offer.locator(".chat-offer-accept").click()
            expect(offer).to_have_count(0)
            expect(log).to_contain_text("王坐席")
            expect(agent.locator("#chat-longest")).to_have_text("0:00")  # nobody waits any more

            box = agent.locator("#chat-input")
            box.click()
            box.press_sequentially("/tk")
            picker = agent.locator("#chat-canned li")
            expect(picker).to_have_count(1)
            expect(picker.first).to_contain_text("退款办理")
            box.press("Enter")
            expect(box).to_have_value("您好，我是王坐席，退款将在三个工作日内原路退回。")
            agent.locator("#chat-send").click()
            expect(log).to_contain_text("我是王坐席，退款将在三个工作日内原路退回")
            sla = agent.locator("#chat-sla")
            expect(sla).to_have_attribute("data-state", "met")  # answered within the first-reply limit
            expect(sla).to_have_class(re.compile(r"\bsla-met\b"))
            expect(sla).not_to_be_empty()
    finally:
        for httpd in _shops:
            httpd.shutdown()
            httpd.server_close()
        _shops.clear()
    conv = Conversation.objects.get()
    assert conv.assignee == desk["agent"] and conv.sla_state == "met"
    assert conv.offers.get().status == "accepted"


def _ask_for_a_person(browser: Any, shop: str) -> Any:
    from playwright.sync_api import expect

    visitor = new_page(browser, mobile=True)
    visitor.goto(shop)
    visitor.get_by_role("button", name="在线客服").click()
    log = visitor.locator(".kefu-log")
    expect(log).to_contain_text("智能客服")
    visitor.locator(".kefu-human").click()
    expect(log).to_contain_text("排在第 1 位")
    return visitor


def test_an_agent_with_two_chats_switches_tabs_keeping_each_draft_and_sees_unread_marks(
    desk, asgi_server
) -> None:
    """Capacity 2: both chats are tabs; a draft typed in one survives switching (and a reload), a
    message in the chat not shown marks its tab unread until the agent opens it, and each reply
    goes to its own visitor."""
    from playwright.sync_api import expect

    services.chat_set_capacity(actor=desk["agent"], capacity=2)
    try:
        with launched_browser() as browser:
            expect.set_options(timeout=TIMEOUT_MS)
            agent = new_page(browser)
            log_in(agent, asgi_server, desk["agent"].username)
            agent.goto(f"{asgi_server}/chat/console/")
            shop = shop_site(asgi_server)
            offer = agent.locator("#chat-offers .chat-offer")

            a = _ask_for_a_person(browser, shop)
            expect(offer).to_have_count(1)
            offer.locator(".chat-offer-accept").click()
            expect(a.locator(".kefu-log")).to_contain_text("王坐席")
            b = _ask_for_a_person(browser, shop)
            expect(offer).to_have_count(1)
            offer.locator(".chat-offer-accept").click()
            expect(b.locator(".kefu-log")).to_contain_text("王坐席")

            tabs = agent.locator("#chat-tabs .chat-tab")
            expect(tabs).to_have_count(2)
            tab_a, tab_b = tabs.nth(0), tabs.nth(1)  # oldest first
            expect(tab_b).to_have_attribute("aria-selected", "true")  # the chat just accepted
            box = agent.locator("#chat-input")
            box.fill("B的草稿，还没写完")

            tab_a.click()
            expect(tab_a).to_have_attribute("aria-selected", "true")
            expect(box).to_have_value("")  # A has its own (empty) draft
            expect(tab_b.locator(".chat-draft-mark")).to_have_count(1)

            b.locator(".kefu-input").fill("B还在吗")
            b.get_by_role("button", name="发送").click()
            expect(tab_b.locator(".chat-unread")).to_have_attribute("data-unread", "1")
            expect(tab_b.locator(".chat-unread")).to_have_text("1")
            expect(tab_a.locator(".chat-unread")).to_have_attribute("data-unread", "0")
            expect(agent.locator("#chat-log")).not_to_contain_text("B还在吗")  # A's transcript is shown

            box.fill("您好A，这是给您的回复")
            agent.locator("#chat-send").click()
            expect(a.locator(".kefu-log")).to_contain_text("这是给您的回复")
            expect(box).to_have_value("")

            tab_b.click()
            expect(box).to_have_value("B的草稿，还没写完")
            expect(agent.locator("#chat-log")).to_contain_text("B还在吗")
            expect(tab_b.locator(".chat-unread")).to_have_attribute("data-unread", "0")

            box.fill("B的草稿，刷新也在")
            agent.reload()
            expect(tabs).to_have_count(2)
            tabs.nth(1).click()
            expect(box).to_have_value("B的草稿，刷新也在")
            agent.locator("#chat-send").click()
            expect(b.locator(".kefu-log")).to_contain_text("B的草稿，刷新也在")
            expect(a.locator(".kefu-log")).not_to_contain_text("刷新也在")
    finally:
        for httpd in _shops:
            httpd.shutdown()
            httpd.server_close()
        _shops.clear()
    chats = list(Conversation.objects.order_by("pk"))
    assert [c.assignee for c in chats] == [desk["agent"], desk["agent"]]
    assert chats[0].messages.filter(sender="agent", body__contains="给您的回复").exists()
    assert chats[1].messages.filter(sender="agent", body="B的草稿，刷新也在").exists()
    assert not chats[0].messages.filter(body__contains="草稿").exists()
