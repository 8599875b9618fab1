"""A pack as a PDF (reportlab): a title block, then each section as a table with its bar chart where it
has one, all in a Chinese font embedded in the file (subset), so the text can be read and searched.

The font: settings.KEFU_PDF_FONT (a .ttf/.ttc path), else 文泉驿正黑 from Debian's fonts-wqy-zenhei
(/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc, installed by .ci/run), else reportlab's built-in
STSong-Light CID font (not embedded: readers supply it)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

DEFAULT_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
FALLBACK_CID = "STSong-Light"
_registered: dict[str, str] = {}


def font_name() -> str:
    """Register the Chinese font once per path and answer its reportlab name."""
    path = str(getattr(settings, "KEFU_PDF_FONT", "") or DEFAULT_FONT)
    if path in _registered:
        return _registered[path]
    if Path(path).is_file():
        name = "KefuCJK" + str(len(_registered))
        kwargs = {"subfontIndex": 0} if path.lower().endswith(".ttc") else {}
        pdfmetrics.registerFont(TTFont(name, path, **kwargs))
    else:
        name = FALLBACK_CID
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID))
    _registered[path] = name
    return name


def _fmt(value: Any, unit: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "per_mille":
        return f"{value:.1f}‰"
    return f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"


def _trend_charts(section: dict[str, Any], font: str) -> list[Drawing]:
    """The trend section: the volume per day (week, month) as bars, the SLA attainment as a line (0–100 %),
    each titled with its column's label; every fifth category is labelled when there are many."""
    spec, rows = section["chart"], section["rows"]
    if not rows:
        return []
    cols = section["columns"]
    every = 1 if len(rows) <= 16 else 5
    labels = [str(r[spec["label"]]) if i % every == 0 else "" for i, r in enumerate(rows)]
    out = []
    for kind in ("bars", "line"):
        j = spec[kind]
        d = Drawing(250 * mm, 62 * mm)
        chart: Any = VerticalBarChart() if kind == "bars" else HorizontalLineChart()
        chart.x, chart.y, chart.width, chart.height = 14 * mm, 12 * mm, 230 * mm, 42 * mm
        values = [float(r[j]) if r[j] is not None else None for r in rows]
        if kind == "line":
            chart.data = [[v if v is not None else 0.0 for v in values]]
            chart.valueAxis.valueMax = 100
            chart.lines[0].strokeColor = colors.HexColor("#91CC75")
            chart.lines[0].strokeWidth = 1.5
        else:
            chart.data = [[v or 0.0 for v in values]]
            chart.bars[0].fillColor = colors.HexColor("#5470C6")
        chart.valueAxis.valueMin = 0
        chart.categoryAxis.categoryNames = labels
        chart.categoryAxis.labels.fontName = font
        chart.categoryAxis.labels.fontSize = 7
        chart.valueAxis.labels.fontName = font
        d.add(chart)
        d.add(String(14 * mm, 57 * mm, cols[j]["label"], fontName=font, fontSize=9))
        out.append(d)
    return out


def _chart(section: dict[str, Any], font: str) -> Drawing | None:
    spec = section.get("chart")
    if spec and spec.get("kind") == "trend":
        return None
    rows = section["rows"][:10]
    if not spec or not rows:
        return None
    labels = [str(r[spec["label"]])[:8] for r in rows]
    values = [float(r[spec["value"]] or 0) for r in rows]
    d = Drawing(170 * mm, 62 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 12 * mm, 150 * mm, 44 * mm
    chart.data = [values]
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#5470C6")
    d.add(chart)
    d.add(String(12 * mm, 58 * mm, section["columns"][spec["value"]]["label"], fontName=font, fontSize=8))
    return d


def render_pdf(data: dict[str, Any]) -> bytes:
    """`data`: PackData.as_dict()."""
    font = font_name()
    title = ParagraphStyle("t", fontName=font, fontSize=18, leading=24, spaceAfter=6)
    h2 = ParagraphStyle("h", fontName=font, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("b", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    cell = ParagraphStyle("c", fontName=font, fontSize=8, leading=10, wordWrap="CJK")
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=data["pack"], author="kefu")
    story: list[Any] = [
        Paragraph(data["pack"], title),
        Paragraph(f'{_("Period")}: {data["period_label"]}　{_("Compared with")}: {data["previous"]}　{_("Scope")}: {data["scope"]}', body),
        Spacer(1, 4 * mm),
    ]
    for n, section in enumerate(data["sections"]):
        if n and len(section["rows"]) > 12:
            story.append(PageBreak())
        story.append(Paragraph(section["title"], h2))
        units = section.get("row_units") or []
        head = [Paragraph(c["label"], cell) for c in section["columns"]]
        rows = [head]
        for i, row in enumerate(section["rows"]):
            out = []
            for value, col in zip(row, section["columns"], strict=False):
                unit = col["unit"]
                if unit == "metric":
                    unit = units[i] if i < len(units) else ""
                out.append(Paragraph(_fmt(value, unit), cell))
            rows.append(out)
        if len(rows) == 1:
            story.append(Paragraph(_("No data in this period."), body))
        else:
            table = Table(rows, repeatRows=1, hAlign="LEFT")
            table.setStyle(TableStyle([
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DCE6F1")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA5B1")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]))
            story.append(table)
        if (section.get("chart") or {}).get("kind") == "trend":
            for drawing in _trend_charts(section, font):
                story.append(Spacer(1, 2 * mm))
                story.append(drawing)
        if chart := _chart(section, font):
            story.append(Spacer(1, 2 * mm))
            story.append(chart)
        if section.get("note"):
            story.append(Paragraph(section["note"], body))
    doc.build(story)
    return buf.getvalue()
