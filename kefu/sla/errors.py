from __future__ import annotations

from enum import StrEnum


class SlaErrorCode(StrEnum):
    CALENDAR_NOT_FOUND = "sla_calendar_not_found"
    BAD_DAY_KIND = "sla_bad_day_kind"
    CALENDAR_24X7 = "sla_calendar_24x7"
    BOARD_FORBIDDEN = "sla_board_forbidden"
    CONFIG_FORBIDDEN = "sla_config_forbidden"
    BAD_PERIOD = "sla_bad_period"
    PERIODS_OVERLAP = "sla_periods_overlap"
