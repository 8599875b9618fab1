from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from kefu.reports.models import ReportPack, ReportRun, ReportSchedule
from kefu.reports.tests.conftest import at

pytestmark = pytest.mark.django_db


def _login(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


def test_define_preview_build_download_and_schedule(world, manager_mike):
    c = _login(manager_mike)
    r = c.post("/reports/new/", {"name": "十月月报", "period_kind": "month", "sections": ["indicators", "complaints"],
                                 "metrics": ["fcr", "contacts_handled"]})
    pack = ReportPack.objects.get(name="十月月报")
    assert r.status_code == 302 and r["Location"] == f"/reports/{pack.pk}/"
    with at("2026-11-03 09:00"):
        page = c.get(f"/reports/{pack.pk}/")  # default: last month
        assert page.status_code == 200
        html = page.content.decode()
        assert "2026 年 10 月" in html and "66.7%" in html and "账单" in html
        xlsx = c.get(f"/reports/{pack.pk}/render.xlsx", {"period": "2026-10"})
        assert load_workbook(io.BytesIO(xlsx.content))["指标"]["B2"].value == 66.7
        assert c.get(f"/reports/{pack.pk}/render.pdf", {"period": "2026-10"}).content.startswith(b"%PDF")
        assert c.post(f"/reports/{pack.pk}/build/", {"period": "2026-10"}).status_code == 302
    run = ReportRun.objects.get()
    assert c.get(f"/reports/runs/{run.pk}.xlsx").content == bytes(run.xlsx)
    assert "十月月报" in c.get("/reports/").content.decode()
    c.post(f"/reports/{pack.pk}/schedules/", {"day_of_month": "2", "at_time": "09:30", "emails": "a@example.cn"})
    s = ReportSchedule.objects.get()
    assert (s.day_of_month, f"{s.at_time:%H:%M}", s.email_list) == (2, "09:30", ["a@example.cn"])


def test_agents_and_other_leads_get_404(world, manager_mike, agent_alice, lead_linda, monthly):
    assert _login(agent_alice).get("/reports/").status_code == 404
    assert _login(lead_linda).get(f"/reports/{monthly.pk}/").status_code == 404
    assert _login(lead_linda).get("/reports/").status_code == 200
