from __future__ import annotations

from enum import StrEnum


class QualityErrorCode(StrEnum):
    FORBIDDEN = "quality_forbidden"
    NOT_FOUND = "quality_not_found"
    VERSION_PUBLISHED = "scorecard_version_published"
    NO_SCORECARD = "scorecard_missing"
    UNKNOWN_ITEM = "scorecard_unknown_item"
    SCORE_OUT_OF_RANGE = "score_out_of_range"
    SCORE_MISSING = "score_missing"
    ALREADY_SUBMITTED = "inspection_already_submitted"
    OWN_CONTACT = "inspection_own_contact"
    INVALID_INPUT = "quality_invalid_input"
    NOT_ASSIGNED = "inspection_not_assigned"
    PLAN_INVALID = "plan_invalid"
    APPEAL_LATE = "appeal_after_deadline"
    APPEAL_EXISTS = "appeal_exists"
    APPEAL_STATE = "appeal_wrong_step"
    APPEAL_NOT_COUNTED = "appeal_not_counted"
    CALIBRATION_SETTLED = "calibration_settled"
    COACHING_DONE = "coaching_done"
    CASE_NOT_SCORED = "case_not_scored"
    CASE_EXISTS = "case_exists"
