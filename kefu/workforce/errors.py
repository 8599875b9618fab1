from __future__ import annotations

from enum import StrEnum


class WorkforceErrorCode(StrEnum):
    FORBIDDEN = "workforce_forbidden"
    NOT_FOUND = "workforce_not_found"
    INVALID_QUEUE = "invalid_queue"
    NO_HISTORY = "no_history"
    BAD_IMPORT = "bad_import"
    NO_FORECAST = "no_forecast"
    INFEASIBLE = "schedule_infeasible"
    ALREADY_PUBLISHED = "schedule_already_published"
    NOT_MONDAY = "week_must_start_monday"
    LEAVE_INVALID = "leave_invalid"
    LEAVE_OVERLAP = "leave_overlap"
    LEAVE_NOT_PENDING = "leave_not_pending"
    LEAVE_NEEDS_MANAGER = "leave_needs_manager"
    INVALID_WHAT_IF = "invalid_what_if"
