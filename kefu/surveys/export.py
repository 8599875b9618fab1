"""CSV and Excel files of the numbers (openpyxl writes .xlsx; managers open these in Excel/WPS)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext as _

from kefu.surveys.selectors import MetricRow


def headers() -> list[str]:
    return [
        _("Group"), _("Surveys sent"), _("Answered"), _("Response rate %"), _("CSAT answers"), _("CSAT %"),
        _("NPS answers"), _("NPS"), _("Low scores"), _("Callbacks closed"), _("Callback on-time %"), _("Repaired %"),
    ]


def row_values(r: MetricRow, label: str | None = None) -> list[Any]:
    return [
        label if label is not None else r.label, r.sent, r.answered, r.response_rate, r.csat_n, r.csat,
        r.nps_n, r.nps, r.low, r.callbacks_closed, r.on_time_rate, r.repaired_rate,
    ]


def to_csv(rows: list[MetricRow], total: MetricRow) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers())
    for r in rows:
        writer.writerow(["" if v is None else v for v in row_values(r)])
    writer.writerow(["" if v is None else v for v in row_values(total, _("Total"))])
    # BOM: Excel on Chinese Windows otherwise reads UTF-8 CSV as GBK and garbles the names.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: list[MetricRow], total: MetricRow, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(headers())
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append(row_values(r))
    ws.append(row_values(total, _("Total")))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 22
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
