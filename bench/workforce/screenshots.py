"""Screenshots of the workforce pages on the demo data, for docs/screenshots/workforce-*.png.

    .venv/bin/python bench/workforce/screenshots.py [--out docs/screenshots] [--data-dir /tmp/kefu_wf_shots]

Builds a fresh SQLite demo database in --data-dir (migrate, then `kefu demo`, which loads the workforce demo too), serves it with
`manage.py runserver --noreload` on a free port, and drives Debian's chromium (/usr/bin/chromium) through Playwright
in Chinese (zh-CN; needs a CJK font such as fonts-wqy-microhei): the manager's last-week forecast against its
actuals, what-if, coverage, schedule grid, queue settings, intraday and leave
inbox; an agent's own schedule and leave page. Not part of the test suite.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _screens import ARGS, CHROMIUM, PASSWORD, main, shell_words  # noqa: E402


def ids(env: dict[str, str]) -> dict[str, int]:
    code = (
        "from kefu.workforce.models import Forecast, Queue, Schedule; from django.utils import timezone; "
        "import datetime as d; t = timezone.localdate(); m = t - d.timedelta(days=t.weekday()); "
        "q = Queue.objects.get(name='客服热线'); "
        "print(q.pk, Forecast.objects.filter(queue=q, week_start=m - d.timedelta(days=7)).latest('id').pk, "
        "Schedule.objects.get(queue=q, week_start=m + d.timedelta(days=7), status='published').pk)"
    )
    out = shell_words(env, code)
    return {"queue": int(out[0]), "forecast": int(out[1]), "schedule": int(out[2])}


def shoot(base: str, out: Path, pk: dict[str, int]) -> list[Path]:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)

        def page_for(username: str):  # type: ignore[no-untyped-def]
            context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.locator("button.btn-primary[type=submit]").first.click()
            page.wait_for_load_state("networkidle")
            return page

        def snap(page, url: str, name: str, *, element: str | None = None, charts: int = 0) -> None:  # type: ignore[no-untyped-def]
            page.goto(base + url)
            page.wait_for_load_state("networkidle")
            if charts:
                page.wait_for_function(
                    f"document.querySelectorAll('[data-wf-chart] canvas').length >= {charts}", timeout=15000
                )
                page.wait_for_timeout(800)  # ECharts' entry animation
            path = out / f"workforce-{name}.png"
            if element:
                page.locator(element).first.screenshot(path=str(path))
            else:
                page.screenshot(path=str(path), full_page=True)
            written.append(path)

        manager = page_for("manager")
        whatif = "?service_level=0.9&service_time=15&aht_factor=1.1&shrinkage=0.3"
        snap(manager, "/workforce/", "index")
        snap(manager, f"/workforce/forecasts/{pk['forecast']}/", "forecast", charts=1)
        snap(manager, f"/workforce/forecasts/{pk['forecast']}/{whatif}", "whatif", element="#forecast-whatif")
        snap(manager, f"/workforce/schedules/{pk['schedule']}/", "coverage", element="section.card", charts=1)
        snap(manager, f"/workforce/schedules/{pk['schedule']}/", "schedule", charts=1)
        snap(manager, f"/workforce/queues/{pk['queue']}/settings/", "queue-settings")
        snap(manager, f"/workforce/queues/{pk['queue']}/intraday/", "intraday", charts=2)
        snap(manager, "/workforce/leave/inbox/", "leave-inbox")
        agent = page_for("agent2")
        snap(agent, "/workforce/me/", "my-schedule")
        snap(agent, "/workforce/leave/", "leave")
        browser.close()
    return written


if __name__ == "__main__":
    main(__doc__ or "", Path("/tmp/kefu_wf_shots"), ids, shoot)
