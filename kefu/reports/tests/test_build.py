"""A pack's figures are the KPI pages' figures; the Excel has a sheet per section with number formats
and frozen headers; the PDF carries the Chinese text (read back with pypdf)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from kefu.accounts.services import api_token_create
from kefu.performance.periods import Period
from kefu.reports.build import build
from kefu.reports.choices import Section
from kefu.reports.excel import render_xlsx
from kefu.reports.pdf import render_pdf
from kefu.reports.services import pack_create
from kefu.reports.tests.conftest import at

pytestmark = pytest.mark.django_db


def _api(user):  # type: ignore[no-untyped-def]
    return Client(headers={"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"})


def test_indicators_equal_the_kpi_api_for_the_same_period(world, monthly, manager_mike):
    with at("2026-11-03 09:00"):
        data = build(pack=monthly, period=Period.parse("2026-10"))
        ind = data.section(Section.INDICATORS)
        assert ind is not None and len(ind.rows) == 12
        api = _api(manager_mike)
        now = api.get("/api/v1/performance/metrics", {"metrics": ",".join(ind.row_keys), "period": "2026-10"}).json()
        before = api.get("/api/v1/performance/metrics", {"metrics": ",".join(ind.row_keys), "period": "2026-09"}).json()
        for key, row in zip(ind.row_keys, ind.rows, strict=True):
            assert row[1] == now["total"]["values"][key], key
            assert row[2] == before["total"]["values"][key], key
            assert row[5] == now["total"]["counts"][key], key
        # Hand-computed (kefu/performance/tests/conftest.py): FCR 66.7 % of 6 contacts in October.
        fcr = ind.rows[ind.row_keys.index("fcr")]
        assert fcr[1] == 66.7
        agents = data.section(Section.AGENTS)
        table = api.get("/api/v1/performance/metrics", {"metrics": ",".join(ind.row_keys), "period": "2026-10", "group": "agent"}).json()
        assert len(table["rows"]) == 3
        assert agents.rows[:-1] == [[r["label"], *[r["values"][k] for k in ind.row_keys]] for r in table["rows"]]


def test_complaint_pareto_and_sla_counts(world, monthly):
    with at("2026-11-03 09:00"):
        data = build(pack=monthly, period=Period.parse("2026-10"))
    complaints = data.section(Section.COMPLAINTS)
    # F is October's one complaint (账单); K is September's.
    assert complaints.rows == [["账单", 1, 100.0, 100.0]]
    sla = data.section(Section.SLA)
    assert [r[0] for r in sla.rows] == ["SLA 达标率：首次响应", "SLA 达标率：解决", "SLA 达标率"]
    for _label, settled, breached, rate in sla.rows:
        # Breaches are the settled targets not met: they give back the attainment the KPI pages show.
        assert settled and rate == round((settled - breached) * 100 / settled, 1)
    assert sla.rows[2][1] >= sla.rows[0][1] + sla.rows[1][1]


def test_a_team_pack_shows_the_team_row(world, manager_mike, agent_alice):
    pack = pack_create(actor=manager_mike, name="一组月报", period_kind="month", team_id=agent_alice.team_id,
                       metrics=["contacts_handled"], sections=[Section.INDICATORS, Section.AGENTS])
    with at("2026-11-03 09:00"):
        data = build(pack=pack, period=Period.parse("2026-10"))
        team = _api(manager_mike).get("/api/v1/performance/metrics",
                                      {"metrics": "contacts_handled", "period": "2026-10", "group": "team"}).json()
    mine = next(r for r in team["rows"] if r["key"] == str(agent_alice.team_id))
    assert data.section(Section.INDICATORS).rows[0][1] == mine["values"]["contacts_handled"]
    names = [r[0] for r in data.section(Section.AGENTS).rows[:-1]]
    assert world.charlie.name not in names and world.alice.name in names


def test_excel_sheets_formats_and_frozen_headers(world, monthly):
    with at("2026-11-03 09:00"):
        data = build(pack=monthly, period=Period.parse("2026-10")).as_dict()
    wb = load_workbook(io.BytesIO(render_xlsx(data)))
    assert wb.sheetnames[0] == "封面"
    assert len(wb.sheetnames) == 1 + len(Section.values)
    ws = wb["指标"]
    assert ws.freeze_panes == "B2"
    assert ws["A1"].value == "指标" and ws["A1"].font.bold
    labels = [ws.cell(row=r, column=1).value for r in range(2, 14)]
    fcr_row = labels.index("首次解决率") + 2
    assert ws.cell(row=fcr_row, column=2).value == 66.7
    assert ws.cell(row=fcr_row, column=2).number_format == '0.0"%"'
    contacts_row = labels.index("处理接触量") + 2 if "处理接触量" in labels else None
    if contacts_row:
        assert ws.cell(row=contacts_row, column=2).number_format == "#,##0"
    pareto = wb["投诉类别排行"] if "投诉类别排行" in wb.sheetnames else wb[wb.sheetnames[4]]
    assert pareto["A2"].value == "账单" and pareto["B2"].value == 1


def test_pdf_contains_the_chinese_text(world, monthly):
    with at("2026-11-03 09:00"):
        data = build(pack=monthly, period=Period.parse("2026-10")).as_dict()
    pdf = render_pdf(data)
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for words in ("月度例会报表", "首次解决率", "账单", "全部班组"):
        assert words in text, words
    # The font is embedded (a subset of 文泉驿正黑), not left to the reader.
    fonts = [f.get_object() for f in PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values()]
    cjk = [f for f in fonts if "WenQuanYi" in str(f["/BaseFont"]) or "Kefu" in str(f["/BaseFont"])]
    assert cjk, [f["/BaseFont"] for f in fonts]


def test_pdf_font_setting_override(world, monthly, settings, tmp_path):
    settings.KEFU_PDF_FONT = str(tmp_path / "missing.ttf")
    with at("2026-11-03 09:00"):
        data = build(pack=monthly, period=Period.parse("2026-10")).as_dict()
    # A font that is not there falls back to reportlab's built-in CID font: still a readable PDF.
    reader = PdfReader(io.BytesIO(render_pdf(data)))
    fonts = [str(f.get_object()["/BaseFont"]) for f in reader.pages[0]["/Resources"]["/Font"].values()]
    assert any("STSong-Light" in f for f in fonts), fonts
    assert "月度例会报表" in reader.pages[0].extract_text()
