from __future__ import annotations

from enum import StrEnum


class PerformanceErrorCode(StrEnum):
    FORBIDDEN = "performance_forbidden"
    NOT_FOUND = "performance_not_found"
    UNKNOWN_METRIC = "unknown_metric"
    UNKNOWN_GROUP = "unknown_group"
    BAD_PERIOD = "bad_period"
    RANGE_REVERSED = "range_reversed"
    MONTH_LOCKED = "month_locked"
    MONTH_NOT_LOCKED = "month_not_locked"
    BAD_WEIGHTS = "bad_weights"
    NO_DRILL = "metric_has_no_drill_down"
