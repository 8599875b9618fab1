from __future__ import annotations

from enum import StrEnum


class TicketErrorCode(StrEnum):
    NOT_FOUND = "ticket_not_found"
    FORBIDDEN = "ticket_forbidden"
    INVALID_TRANSITION = "invalid_status_transition"
    REASON_REQUIRED = "reason_required"
    TRANSFER_TARGET_REQUIRED = "transfer_target_required"
    SAME_TEAM = "transfer_same_place"
    ASSIGNEE_NOT_IN_TEAM = "assignee_not_in_team"
    ASSIGNEE_INACTIVE = "assignee_inactive"
    MAY_ONLY_CLAIM = "may_only_claim"
    EMPTY_MESSAGE = "empty_message"
    TICKET_CLOSED = "ticket_closed"
    REOPEN_WINDOW_PASSED = "reopen_window_passed"
    MERGE_SELF = "merge_self"
    MERGE_CLOSED = "merge_closed"
    LINK_SELF = "link_self"
    IDEMPOTENCY_MISMATCH = "idempotency_key_reused"
    CATEGORY_INACTIVE = "category_inactive"
    NO_CHANGE = "no_change"
