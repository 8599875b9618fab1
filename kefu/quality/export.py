"""The weekly quality report as an Excel workbook (openpyxl, as kefu/reports/excel.py writes packs):
a summary sheet, then one sheet per table with a bold frozen header. Percentages are stored as the
number the page shows (93.4 with the format 0.0"%"), every figure comes from the `WeeklyReport`."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kefu.quality.weekly import Compared, WeeklyReport

PERCENT = '0.0"%"'
SCORE = "0.0"
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sheet(ws: Worksheet, header: list[str], rows: list[list[Any]], formats: dict[int, str]) -> None:
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    widths = [_width(h) for h in header]
    for i, row in enumerate(rows, start=2):
        ws.append(row)
        for j, value in enumerate(row):
            if j in formats and isinstance(value, (int, float)):
                ws.cell(row=i, column=j + 1).number_format = formats[j]
            widths[j] = max(widths[j], _width(value))
    for j, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(j + 1)].width = min(max(w + 2, 8), 50)
    ws.freeze_panes = "A2"


def compared_header(first: str) -> list[str]:
    return [first, _("Inspected"), _("Pass rate %"), _("Previous week pass rate %"), _("Change"),
            _("Average score"), _("Previous week average"), _("Change")]


def compared_row(c: Compared) -> list[Any]:
    now, before = c.now, c.before
    return [
        c.label or "—", now.inspected if now else 0, now.rate if now else None, before.rate if before else None,
        c.rate_change, now.average if now else None, before.average if before else None, c.average_change,
    ]


COMPARED_FORMATS = {2: PERCENT, 3: PERCENT, 4: "0.0", 5: SCORE, 6: SCORE, 7: "0.0"}


def weekly_xlsx(report: WeeklyReport) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("Summary")[:31]
    ws.append([_("Weekly quality report"), report.label])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_("Week"), f"{report.start.date().isoformat()} – {report.last_day.isoformat()}"])
    ws.append([])
    summary: list[tuple[str, Any, Any, str | None]] = [
        (_("Inspections done"), report.current.total.inspected, report.previous.total.inspected, None),
        (_("Pass rate %"), report.current.total.rate, report.previous.total.rate, PERCENT),
        (_("Average score"), report.current.total.average, report.previous.total.average, SCORE),
        (_("Fatal findings"), report.fatal, report.fatal_before, None),
        (_("Appeals opened"), report.appeals_opened, None, None),
        (_("Appeals upheld"), report.appeals_upheld, None, None),
        (_("Appeals rejected"), report.appeals_rejected, None, None),
        (_("Calibrations opened"), report.calibrations_opened, None, None),
        (_("Calibrations settled"), report.calibrations_settled, None, None),
        (_("Calibration agreement %"), report.agreement, None, PERCENT),
    ]
    ws.append([_("Figure"), _("This week"), _("Previous week")])
    for cell in ws[4]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for label, now, before, fmt in summary:
        ws.append([label, now, before])
        if fmt:
            for col in (2, 3):
                ws.cell(row=ws.max_row, column=col).number_format = fmt
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 14

    _sheet(wb.create_sheet(_("By team")[:31]), compared_header(_("Team")),
           [compared_row(c) for c in report.by_team], COMPARED_FORMATS)
    _sheet(wb.create_sheet(_("By agent")[:31]), compared_header(_("Agent")),
           [compared_row(c) for c in report.by_agent], COMPARED_FORMATS)
    _sheet(wb.create_sheet(_("Worst items")[:31]),
           [_("Item"), _("Scored"), _("Failed"), _("Failed %"), _("Points earned %")],
           [[s.name, s.scored, s.failed, s.fail_rate, s.share] for s in report.worst], {3: PERCENT, 4: PERCENT})
    if report.kappa:
        _sheet(wb.create_sheet(_("Agreement")[:31]),
               [_("Inspector A"), _("Inspector B"), _("Item"), _("Pairs"), _("Agreement %"), "κ"],
               [[k.first, k.second, k.item, k.pairs, k.agreement, k.kappa] for k in report.kappa], {4: PERCENT})
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
