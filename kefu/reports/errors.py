from __future__ import annotations

from enum import StrEnum


class ReportErrorCode(StrEnum):
    FORBIDDEN = "report_forbidden"
    NOT_FOUND = "report_not_found"
    BAD_PACK = "report_bad_pack"
    BAD_PERIOD = "report_bad_period"
    BAD_SCHEDULE = "report_bad_schedule"
    BAD_FORMAT = "report_bad_format"
    DELIVERY_FAILED = "report_delivery_failed"
