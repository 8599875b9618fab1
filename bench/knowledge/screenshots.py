"""Screenshots of the knowledge pages on the demo data, for docs/screenshots/knowledge-*.png.

    .venv/bin/python bench/knowledge/screenshots.py [--out docs/screenshots] [--data-dir /tmp/kefu_kb_shots]

Builds a fresh SQLite demo database in --data-dir (migrate, then `kefu demo`, which loads the knowledge
demo), serves it with `manage.py runserver --noreload` on a free port, and drives Debian's chromium
(/usr/bin/chromium) through Playwright in Chinese (zh-CN; needs a CJK font such as fonts-wqy-microhei),
logged in as the agent who wrote the demo articles:
the knowledge search for 退款 with highlighted hits, an article, the canned-reply picker in a
ticket's reply box (pinyin initials `tkbl`, then the filled text), the suggestion panel on that
ticket, the case library and the list of articles due for review. Viewport 1280x800, not full
pages. Not part of the test suite.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _screens import ARGS, CHROMIUM, PASSWORD, main, shell_words  # noqa: E402

VIEWPORT = {"width": 1280, "height": 800}


def ids(env: dict[str, str]) -> dict[str, str]:
    """The demo's article author, their first article about refunds, and an open refund ticket they may
    answer (their own or their team's)."""
    code = (
        "from django.db.models import Q; from kefu.knowledge.models import Article; "
        "from kefu.tickets.models import Ticket; "
        "a = Article.objects.filter(status='published', title__contains='退款').order_by('id').first(); u = a.owner; "
        "t = Ticket.objects.filter(Q(assignee=u) | Q(team_id=u.team_id), "
        "status__in=('new', 'assigned', 'in_progress', 'pending_customer')).order_by('-updated_at'); "
        "t = t.filter(Q(title__contains='退款') | Q(description__contains='退款')).first() or t.first(); "
        "print(u.username, a.pk, t.number)"
    )
    out = shell_words(env, code)
    return {"user": out[0], "article": out[1], "ticket": out[2]}


def shoot(base: str, out: Path, pk: dict[str, str]) -> list[Path]:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(locale="zh-CN", viewport=VIEWPORT)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(f"{base}/accounts/login/")
        page.fill("input[name=username]", pk["user"])
        page.fill("input[name=password]", PASSWORD)
        page.locator("button.btn-primary[type=submit]").first.click()
        page.wait_for_load_state("networkidle")

        def save(name: str, *, element: str | None = None) -> None:
            path = out / f"knowledge-{name}.png"
            if element:
                page.locator(element).first.screenshot(path=str(path))
            else:
                page.screenshot(path=str(path))
            written.append(path)

        def go(url: str) -> None:
            page.goto(base + url)
            page.wait_for_load_state("networkidle")

        go("/knowledge/?q=退款")
        save("search")
        go(f"/knowledge/articles/{pk['article']}/")
        save("article")
        go(f"/tickets/{pk['ticket']}/")
        page.wait_for_selector("#kb-suggestions", timeout=15000)
        save("suggestions", element="#kb-suggestions")
        picker = page.locator(".reply-picker input[type=search]")
        picker.scroll_into_view_if_needed()
        picker.type("tkbl", delay=60)
        page.wait_for_selector("#reply-picker li a", timeout=15000)
        save("reply-picker", element="#ticket-compose")
        page.locator("#reply-picker li a").first.click()
        for _ in range(100):  # (wait_for_function evaluates a string: the strict CSP forbids that)
            if page.locator("#reply-insert").input_value():
                break
            page.wait_for_timeout(100)
        save("reply-inserted", element="#ticket-compose")
        go("/knowledge/cases/")
        save("cases")
        go("/knowledge/")
        due = page.locator("section.card", has=page.locator("h2", has_text="复核")).first
        if due.count():
            due.scroll_into_view_if_needed()
        save("due-for-review")
        browser.close()
    for e in errors:
        print("error:", e, file=sys.stderr)
    return written


if __name__ == "__main__":
    main(__doc__ or "", Path("/tmp/kefu_kb_shots"), ids, shoot)
