"""The workforce charts in a real browser (Debian's chromium under Playwright): ECharts (vendored) draws the
forecast-vs-actual and required-vs-scheduled charts under the strict CSP, the what-if panel answers through htmx,
and an agent sees their published shifts. Pages are asked for in English (the browser's locale)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from kefu.accounts.choices import Role
from kefu.accounts.models import Team
from kefu.tests.factories import UserFactory
from kefu.tests.test_browser import launched_browser, new_page
from kefu.workforce import planning, services
from kefu.workforce.models import IntervalVolume

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-kefu-123"  # UserFactory's password


@pytest.fixture
def plan(transactional_db) -> dict[str, Any]:
    """A queue, four weeks of history, this week's forecast and a published schedule: made before the browser
    starts (see kefu/tests/test_browser.py, `cast`)."""
    team = Team.objects.create(name="一线客服", is_default=True)
    manager = UserFactory(username="manager", display_name="马经理", role=Role.MANAGER)
    agents = [UserFactory(username=f"agent{i}", display_name=f"坐席{i}", team=team) for i in range(1, 9)]
    queue = services.queue_create(
        actor=manager, name="客服热线", team=team, interval_minutes=60, shift_hours=8, break_minutes=0,
        shift_earliest_start="08:00", shift_latest_start="12:00",
    )  # fmt: skip
    today = date.today()
    monday = today - timedelta(days=today.weekday())
    start = planning.local_midnight(monday - timedelta(weeks=4))
    rows = []
    for h in range(24 * 7 * 5):
        t = start + timedelta(hours=h)
        hour = t.astimezone(planning.tz()).hour
        calls = float(10 + (h * 7) % 9) if 9 <= hour < 19 else 0.0
        rows.append(IntervalVolume(queue=queue, start=t, calls=calls, handle_seconds=calls * 300))
    IntervalVolume.objects.bulk_create(rows)
    fc = services.forecast_create(actor=manager, queue_id=queue.pk, week_start=monday)
    schedule = services.schedule_create(actor=manager, forecast_id=fc.pk, time_limit=3)
    services.schedule_publish(actor=manager, schedule_id=schedule.pk)
    worker = schedule.shifts.exclude(agent=None).values_list("agent__username", flat=True).first()
    return {"forecast": fc.pk, "schedule": schedule.pk, "worker": worker, "agents": len(agents)}


def _log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))


def _series(page: Any) -> list[dict[str, Any]]:
    """What ECharts drew: each chart's series names and point counts, read from the live instances."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-wf-chart]')).map(el => {
            const chart = window.echarts.getInstanceByDom(el);
            return {canvas: el.querySelectorAll('canvas').length,
                    series: chart ? chart.getOption().series.map(s => [s.name, s.data.length]) : null};
        })"""
    )


def test_charts_render_and_what_if_answers(plan, live_server) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    with launched_browser() as browser:
        page = new_page(browser)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        _log_in(page, base, "manager")

        page.goto(f"{base}/workforce/forecasts/{plan['forecast']}/")
        page.wait_for_selector("[data-wf-chart] canvas")
        assert _series(page) == [{"canvas": 1, "series": [["Forecast", 168], ["Actual", 168]]}]
        # The what-if panel: new goals, answered in place by htmx (the chart above stays).
        page.fill("input[name=service_level]", "0.95")
        page.fill("input[name=service_time]", "10")
        page.locator("#forecast-whatif button").click()
        expect(page.locator("#forecast-whatif strong")).to_contain_text("paid hours")
        # The swapped-in panel carries its own chart (planned vs what-if heads), drawn after the htmx swap.
        page.wait_for_selector("#forecast-whatif [data-wf-chart] canvas")
        assert _series(page) == [
            {"canvas": 1, "series": [["Forecast", 168], ["Actual", 168]]},
            {"canvas": 1, "series": [["Planned heads", 168], ["What-if heads", 168]]},
        ]
        # 95 instead of 0.95: the form's bounds reach the browser, which refuses before asking the server.
        page.fill("input[name=service_level]", "95")
        assert page.locator("input[name=service_level]").evaluate("e => e.validity.rangeOverflow") is True

        page.goto(f"{base}/workforce/schedules/{plan['schedule']}/")
        page.wait_for_selector("[data-wf-chart] canvas")
        assert _series(page) == [{"canvas": 1, "series": [["Required heads", 168], ["Scheduled", 168]]}]
        assert page.locator("#schedule-grid tbody tr").count() >= 1
        assert errors == []  # no script error and no CSP refusal

        agent = new_page(browser)
        _log_in(agent, base, plan["worker"])
        agent.goto(f"{base}/workforce/me/")
        expect(agent.locator("table.wf-grid tbody tr").first).to_contain_text("客服热线")
