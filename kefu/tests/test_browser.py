"""The service loop end to end in a real browser (Debian's chromium, driven by Playwright):

intake on the customer portal → a team lead dispatches by hand → the agent replies and notes →
resolves → the customer reads the reply (and not the note) through the tracking link.

Pages are asked for in English (the browser's locale), so the assertions do not depend on the
zh_Hans catalogue.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kefu.accounts.choices import Presence, Role
from kefu.accounts.models import Team, User
from kefu.tests.factories import TierFactory, UserFactory
from kefu.tickets.choices import Channel, EventKind, TicketStatus
from kefu.tickets.models import Ticket

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-kefu-123"  # UserFactory's password
TIMEOUT_MS = 15_000

# A real 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7d6a4"
    "3f0000000049454e44ae426082"
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@contextmanager
def launched_browser() -> Iterator[Any]:
    """Debian's chromium under Playwright. Called from the test body, so a missing browser is a
    test failure with a clear message, never a skip."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser test needs Debian's chromium "
            "(apt-get install -y chromium; .ci/run installs it).",
            pytrace=False,
        )
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in a
    # thread with a running loop unless told the code is really synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def new_page(browser, *, mobile: bool = False):  # type: ignore[no-untyped-def]
    viewport = {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900}
    context = browser.new_context(locale="en-US", viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def log_in(page, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/tickets/"))


def settled(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until no htmx request is in flight. After a change the ticket page reloads its regions
    (the `ticketUpdated` event); a form used while its region is being swapped would be lost."""
    from playwright.sync_api import expect

    expect(page.locator(".htmx-request")).to_have_count(0)


@pytest.fixture
def cast(transactional_db) -> dict[str, Any]:
    """The people of the walk. Made before the browser starts: under Playwright's sync API the ORM
    would run in another context and open a database connection that nothing closes."""
    front = Team.objects.create(name="一线客服", is_default=True)
    TierFactory(name="普通", is_default=True)
    lead = UserFactory(username="lead1", display_name="林组长", team=front, role=Role.TEAM_LEAD, presence=Presence.ONLINE)
    agent = UserFactory(username="agent1", display_name="王坐席", team=front, presence=Presence.ONLINE)
    return {"lead": lead, "agent": agent}


def test_intake_dispatch_reply_resolve_customer_sees_reply(cast, live_server) -> None:
    with launched_browser() as browser:
        number = walk(browser, base=live_server.url, lead=cast["lead"], agent=cast["agent"])
    # What the pages showed is what was stored (read after the browser is gone, see `cast`).
    ticket = Ticket.objects.get(number=number)
    assert (ticket.channel, ticket.status) == (Channel.WEB, TicketStatus.RESOLVED)
    assert (ticket.owner, ticket.assignee) == (cast["agent"], cast["agent"])
    assert ticket.events.filter(kind=EventKind.ASSIGNED, actor=cast["lead"]).exists()


def walk(browser: Any, *, base: str, lead: User, agent: User) -> str:
    """The walk itself; returns the ticket number. No ORM in here (see `cast`)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)

    # 1. Intake: the customer submits the web form on a phone, with a photo, and keeps the link.
    customer = new_page(browser, mobile=True)
    customer.goto(f"{base}/portal/")
    expect(customer.get_by_role("heading", name="Submit a request")).to_be_visible()
    customer.fill("input[name=name]", "赵女士")
    customer.fill("input[name=phone]", "139 1111 2222")
    customer.select_option("select[name=kind]", "repair")
    customer.fill("input[name=title]", "空调不制冷")
    customer.fill("textarea[name=description]", "上周安装的空调一直吹热风。")
    customer.set_input_files(
        "input[name=attachment]", files=[{"name": "空调铭牌.png", "mimeType": "image/png", "buffer": PNG}]
    )
    customer.get_by_role("button", name="Send request").click()
    expect(customer.get_by_role("heading", name="We received your request")).to_be_visible()
    expect(customer.get_by_text("It is the only way back to your request")).to_be_visible()
    number = customer.locator("#ticket-number").inner_text().strip()
    assert re.fullmatch(r"GD\d{8}-\d{6}", number), number
    tracking_link = customer.locator("#tracking-link").get_attribute("href") or ""
    assert tracking_link.startswith(f"{base}/portal/t/"), tracking_link
    assert customer.locator("#tracking-link").inner_text().strip() == tracking_link

    # 2. Dispatch by hand: the team lead finds it in the team queue and assigns it to an agent.
    lead_page = new_page(browser)
    log_in(lead_page, base, lead.username)
    lead_page.locator("nav.mainnav").get_by_role("link", name="Team queue").click()
    row = lead_page.locator("table.tickets tbody tr", has_text=number)
    expect(row).to_contain_text("空调不制冷")
    expect(row).to_contain_text("赵女士")
    expect(row).to_contain_text("Unassigned")
    row.get_by_role("link", name=number).click()
    expect(lead_page.locator("#ticket-header h1")).to_have_text("空调不制冷")
    expect(lead_page.locator("#ticket-header")).to_contain_text("Web form")
    expect(lead_page.locator("#ticket-header")).to_contain_text("空调铭牌.png")
    settled(lead_page)
    assign = lead_page.locator("form.action-assign")
    assign.locator("select[name=assignee]").select_option(label=agent.name)
    assign.get_by_role("button", name="Assign", exact=True).click()
    expect(lead_page.locator("#ticket-header")).to_contain_text("王坐席")
    expect(lead_page.locator("#ticket-header .badge.st-assigned")).to_be_visible()

    # 3. The agent finds it in their own queue, replies to the customer and leaves an internal note.
    worker = new_page(browser)
    log_in(worker, base, agent.username)
    worker.goto(f"{base}/tickets/?scope=mine")
    worker.locator("table.tickets tbody tr", has_text=number).get_by_role("link", name=number).click()
    expect(worker.locator("#ticket-header h1")).to_have_text("空调不制冷")

    compose = worker.locator("#ticket-compose")
    compose.locator("input[name=kind][value=reply]").check()
    compose.locator("textarea[name=body]").fill("您好，师傅明天上午上门检修。")
    compose.get_by_role("button", name="Send").click()
    timeline = worker.locator("#ticket-timeline")
    expect(timeline.locator("article.msg-reply")).to_contain_text("您好，师傅明天上午上门检修。")

    settled(worker)
    compose = worker.locator("#ticket-compose")
    compose.locator("input[name=kind][value=note]").check()
    compose.locator("textarea[name=body]").fill("内部备注：该客户上月也报修过")
    compose.get_by_role("button", name="Send").click()
    expect(timeline.locator("article.msg-note")).to_contain_text("内部备注：该客户上月也报修过")
    expect(worker.locator("#ticket-header .badge.st-in_progress")).to_be_visible()

    # 4. Resolve.
    settled(worker)
    status_form = worker.locator("#ticket-actions form[action$='/status/']")
    status_form.locator("select[name=status]").select_option("resolved")
    status_form.get_by_role("button", name="Change status").click()
    expect(worker.locator("#ticket-header .badge.st-resolved")).to_be_visible()

    # 5. The customer opens the tracking link: the reply, not the note, and the ticket is resolved.
    customer.goto(tracking_link)
    expect(customer.locator("#ticket-number")).to_have_text(number)
    expect(customer.locator("#ticket-status")).to_have_text("Resolved")
    messages = customer.locator("#ticket-messages")
    expect(messages).to_contain_text("您好，师傅明天上午上门检修。")
    expect(messages).to_contain_text("Customer service · 王坐席")
    expect(customer.locator("body")).not_to_contain_text("内部备注")
    expect(customer.locator("body")).not_to_contain_text("该客户上月也报修过")
    expect(customer.locator("#ticket-summary")).to_contain_text("空调铭牌.png")
    expect(customer.get_by_role("heading", name="Not solved yet?")).to_be_visible()
    return number
