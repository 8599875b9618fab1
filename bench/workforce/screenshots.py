"""Screenshots of the workforce pages on the demo data, for docs/screenshots/workforce-*.png.

    .venv/bin/python bench/workforce/screenshots.py [--out docs/screenshots] [--data-dir /tmp/kefu_wf_shots]

Builds a fresh SQLite demo database in --data-dir (migrate, `kefu demo`, then the workforce demo), serves it with
`manage.py runserver --noreload` on a free port, and drives Debian's chromium (/usr/bin/chromium) through Playwright
in Chinese (zh-CN; needs a CJK font such as fonts-wqy-microhei): the manager's last-week forecast against its
actuals, what-if, coverage, schedule grid, queue settings, intraday and leave
inbox; an agent's own schedule and leave page. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
PASSWORD = "kefu123"  # the demo's password


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def build_demo(env: dict[str, str], tickets: int) -> None:
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "demo", "--tickets", str(tickets), "--customers", str(max(50, tickets // 6)))
    code = "from kefu.workforce.demo import load_workforce_demo; print(load_workforce_demo())"
    _manage(env, "shell", "--no-imports", "-c", code)


def ids(env: dict[str, str]) -> dict[str, int]:
    code = (
        "from kefu.workforce.models import Forecast, Queue, Schedule; from django.utils import timezone; "
        "import datetime as d; t = timezone.localdate(); m = t - d.timedelta(days=t.weekday()); "
        "q = Queue.objects.get(name='客服热线'); "
        "print(q.pk, Forecast.objects.filter(queue=q, week_start=m - d.timedelta(days=7)).latest('id').pk, "
        "Schedule.objects.get(queue=q, week_start=m + d.timedelta(days=7), status='published').pk)"
    )
    out = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "--no-imports", "-c", code], env=env, check=True, cwd=ROOT,
        capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1].split()  # fmt: skip
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/kefu_wf_shots"))
    parser.add_argument("--tickets", type=int, default=600, help="demo tickets (default 600)")
    parser.add_argument("--keep", action="store_true", help="reuse an existing demo database in --data-dir")
    args = parser.parse_args()
    if args.data_dir.exists() and not args.keep:
        shutil.rmtree(args.data_dir)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(KEFU_DATA_DIR=str(args.data_dir), DJANGO_SETTINGS_MODULE="kefu.settings", PYTHONPATH=str(ROOT))
    if not (args.keep and (args.data_dir / "kefu.sqlite3").exists()):
        build_demo(env, args.tickets)
    pk = ids(env)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        for path in shoot(f"http://127.0.0.1:{port}", args.out, pk):
            print(path)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
