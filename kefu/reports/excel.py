"""A pack as an Excel workbook (openpyxl): a cover sheet, then one sheet per section with a bold,
frozen header row, real numbers with number formats (percent values are stored as the number shown,
93.4 with the format 0.0"%", so a cell reads like the KPI page), and column widths that fit Chinese."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMATS = {
    "count": "#,##0",
    "percent": '0.0"%"',
    "per_mille": '0.0"‰"',
    "minutes": "#,##0.0",
    "hours": "#,##0.0",
    "score": "0.0",
    "nps": "0.0",
}
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sheet_title(title: str, used: set[str]) -> str:
    base = "".join(ch for ch in title if ch not in '[]:*?/\\')[:31] or "Sheet"
    name, n = base, 2
    while name in used:
        name = f"{base[:28]}({n})"
        n += 1
    used.add(name)
    return name


def render_xlsx(data: dict[str, Any]) -> bytes:
    """`data`: PackData.as_dict()."""
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = _("Cover")[:31]
    cover.append([data["pack"]])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append([_("Period"), data["period_label"]])
    cover.append([_("Period key"), data["period"]])
    cover.append([_("Compared with"), data["previous"]])
    cover.append([_("Scope"), data["scope"]])
    cover.column_dimensions["A"].width = 16
    cover.column_dimensions["B"].width = 40
    used = {cover.title}
    for section in data["sections"]:
        ws = wb.create_sheet(_sheet_title(section["title"], used))
        columns = section["columns"]
        ws.append([c["label"] for c in columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        units = section.get("row_units") or []
        widths = [_width(c["label"]) for c in columns]
        for i, row in enumerate(section["rows"]):
            ws.append(row)
            for j, (value, col) in enumerate(zip(row, columns, strict=False)):
                unit = col["unit"]
                if unit == "metric":
                    unit = units[i] if i < len(units) else ""
                if isinstance(value, (int, float)) and not isinstance(value, bool) and unit in FORMATS:
                    ws.cell(row=i + 2, column=j + 1).number_format = FORMATS[unit]
                widths[j] = max(widths[j], _width(value))
        for j, w in enumerate(widths):
            ws.column_dimensions[get_column_letter(j + 1)].width = min(max(w + 2, 8), 60)
        ws.freeze_panes = "B2" if len(columns) > 2 else "A2"
        if section.get("note"):
            ws.append([])
            ws.append([section["note"]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
