from __future__ import annotations

from enum import StrEnum


class CareErrorCode(StrEnum):
    FORBIDDEN = "care_forbidden"
    INVALID_INPUT = "care_invalid_input"
    NOT_FOUND = "care_not_found"
    INSUFFICIENT_POINTS = "care_insufficient_points"
    REWARD_UNAVAILABLE = "care_reward_unavailable"
    IDEMPOTENCY_MISMATCH = "care_idempotency_key_reused"
    LINK_INVALID = "care_link_invalid"
