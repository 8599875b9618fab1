from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from kefu.accounts.services import api_token_create
from kefu.reports.models import ReportRun
from kefu.reports.tests.conftest import at

pytestmark = pytest.mark.django_db
URL = "/api/v1/performance/packs"


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    return Client(headers={"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"})


def test_define_build_download_and_visibility(world, manager_mike, lead_linda, agent_alice):
    mike = _client(manager_mike)
    r = mike.post(URL, {"name": "月报", "period_kind": "month", "metrics": ["fcr", "csat"]}, content_type="application/json")
    assert r.status_code == 201, r.content
    pack = r.json()
    with at("2026-11-03 09:00"):
        r = mike.post(f"{URL}/{pack['id']}/runs", {"period": "2026-10"}, content_type="application/json")
        assert r.status_code == 201, r.content
        run = r.json()
        fcr = _client(manager_mike).get("/api/v1/performance/metrics", {"metrics": "fcr", "period": "2026-10"}).json()
    ind = run["data"]["sections"][0]
    assert ind["row_keys"] == ["fcr", "csat"] and ind["rows"][0][1] == fcr["total"]["values"]["fcr"] == 66.7
    f = mike.get(f"{URL}/runs/{run['id']}/file", {"format": "xlsx"})
    assert f.status_code == 200 and f["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(f.content)).sheetnames[0] == "封面"
    assert mike.get(f"{URL}/runs/{run['id']}/file", {"format": "pdf"}).content.startswith(b"%PDF")
    # A lead sees none of the center's packs, and may define one for their own team only.
    linda = _client(lead_linda)
    assert linda.get(URL).json() == []
    assert linda.get(f"{URL}/runs/{run['id']}/file").status_code == 404
    assert linda.post(URL, {"name": "x", "period_kind": "week"}, content_type="application/json").status_code == 403
    mine = linda.post(URL, {"name": "一组周报", "period_kind": "week", "team_id": lead_linda.team_id}, content_type="application/json")
    assert mine.status_code == 201
    assert [p["name"] for p in linda.get(URL).json()] == ["一组周报"]
    assert _client(agent_alice).get(URL).json() == []
    assert ReportRun.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "period_kind": "week"}, "name"),
        ({"name": "x", "period_kind": "fortnight"}, "period_kind"),
        ({"name": "x", "period_kind": "week", "sections": ["gossip"]}, "sections"),
        ({"name": "x", "period_kind": "week", "metrics": ["happiness"]}, "metrics"),
    ],
)
def test_bad_pack_is_a_422_naming_the_field(manager_mike, body, field):
    r = _client(manager_mike).post(URL, body, content_type="application/json")
    assert r.status_code == 422, r.content
    assert field in str(r.json()["fields"])


def test_a_period_of_another_kind_is_a_422(manager_mike, weekly):
    r = _client(manager_mike).post(f"{URL}/{weekly.pk}/runs", {"period": "2026-10"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "report_bad_period"
    r = _client(manager_mike).post(f"{URL}/{weekly.pk}/runs/", {"period": "soon"}, content_type="application/json")
    assert r.status_code in (404, 422)
