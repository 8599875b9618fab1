from __future__ import annotations

from enum import StrEnum


class DispatchErrorCode(StrEnum):
    FORBIDDEN = "dispatch_forbidden"
    NO_SUGGESTION = "no_category_suggestion"
    INVALID_MODE = "invalid_assignment_mode"
    BOARD_NOT_FOUND = "dispatch_board_not_found"
