from __future__ import annotations

from enum import StrEnum


class PointsErrorCode(StrEnum):
    FORBIDDEN = "points_forbidden"
    INVALID_INPUT = "points_invalid_input"
    AGENT_NOT_FOUND = "points_agent_not_found"
    ENTRY_NOT_FOUND = "points_entry_not_found"
    ALREADY_REVERSED = "points_already_reversed"
    NOT_REVERSIBLE = "points_not_reversible"
    ALREADY_AWARDED = "points_already_awarded"
    AWARD_NOT_FOUND = "points_award_not_found"
    NOT_PENDING = "points_not_pending"
    ITEM_NOT_FOUND = "points_item_not_found"
    INSUFFICIENT_BALANCE = "points_insufficient_balance"
    REDEMPTION_NOT_FOUND = "points_redemption_not_found"
    SUGGESTION_NOT_FOUND = "points_suggestion_not_found"
    SUGGESTION_CLOSED = "points_suggestion_closed"
    SOURCE_NOT_FOUND = "points_source_not_found"
    NO_AGENT = "points_no_agent"
    OWN_REQUEST = "points_own_request"
