"""In a real browser (Debian's chromium under Playwright): a manager opens a pack from the reports
page, previews this month and downloads the Excel and the PDF; the files open (openpyxl, pypdf) and
carry this month's contacts. Helpers and conventions from kefu/tests/test_browser.py."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from kefu.accounts.choices import Role
from kefu.accounts.models import Team
from kefu.performance.periods import Period
from kefu.reports.services import pack_create
from kefu.tests.factories import TicketFactory, UserFactory
from kefu.tests.test_browser import TIMEOUT_MS, launched_browser, log_in, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_downloads_the_monthly_excel_and_pdf(live_server, tmp_path: Path) -> None:
    from django.utils import timezone
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    team = Team.objects.create(name="一线客服", is_default=True)
    manager = UserFactory(username="manager", display_name="马经理", role=Role.MANAGER)
    agent = UserFactory(username="agent1", display_name="王坐席", team=team)
    TicketFactory(actor=agent, assignee=agent, title="咨询资费")
    TicketFactory(actor=agent, assignee=agent, title="宽带报修")
    pack = pack_create(actor=manager, name="月度经营分析报表", period_kind="month")
    month = Period.of("month", timezone.localdate()).key
    with launched_browser() as browser:
        page = new_page(browser)
        log_in(page, live_server.url, manager.username)
        page.goto(f"{live_server.url}/reports/")
        page.get_by_role("link", name="月度经营分析报表").click()
        page.wait_for_url(f"**/reports/{pack.pk}/**")
        page.goto(f"{page.url.split('?')[0]}?period={month}")
        expect(page.locator("#dl-xlsx")).to_be_visible()
        with page.expect_download() as dl:
            page.locator("#dl-xlsx").click()
        xlsx = tmp_path / "pack.xlsx"
        dl.value.save_as(xlsx)
        xlsx_name = dl.value.suggested_filename
        with page.expect_download() as dl_pdf:
            page.locator("#dl-pdf").click()
        pdf = tmp_path / "pack.pdf"
        dl_pdf.value.save_as(pdf)
    assert xlsx_name.endswith(f"{month}.xlsx")
    wb = load_workbook(xlsx)
    cover = wb[wb.sheetnames[0]]
    assert cover["B3"].value == month
    trend = wb[wb.sheetnames[2]]  # cover, indicators, trend
    assert sum(row[1] or 0 for row in trend.iter_rows(min_row=2, values_only=True)) == 2
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "月度经营分析报表" in text and month in text
