"""Excel export of a schedule (openpyxl: the one maintained pure-Python .xlsx writer; planners live in Excel)."""

from __future__ import annotations

from typing import IO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from kefu.workforce import planning
from kefu.workforce.models import Schedule
from kefu.workforce.selectors import schedule_grid


def schedule_xlsx(schedule: Schedule, out: IO[bytes]) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = str(schedule.week_start)
    days = [schedule.week_start.fromordinal(schedule.week_start.toordinal() + k) for k in range(7)]
    ws.append([_("Agent"), *[d.strftime("%m-%d") for d in days], _("Paid hours")])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    zone = planning.tz()
    for row in schedule_grid(schedule):
        cells = []
        for shift in row.cells:
            if shift is None:
                cells.append(_("off"))
                continue
            text = f"{shift.start.astimezone(zone):%H:%M}-{shift.end.astimezone(zone):%H:%M}"
            if shift.break_start:
                break_label = _("break")  # outside the f-string, where makemessages can see it
                text += f" ({break_label} {shift.break_start.astimezone(zone):%H:%M})"
            if getattr(shift, "on_leave", False):
                leave_label = _("on leave")
                text += f" [{leave_label}]"
            cells.append(text)
        ws.append([row.agent.name if row.agent else _("(open)"), *cells, round(row.hours, 2)])
    ws.column_dimensions["A"].width = 16
    for col in "BCDEFGH":
        ws.column_dimensions[col].width = 22
    wb.save(out)
