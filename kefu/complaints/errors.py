from __future__ import annotations

from enum import StrEnum


class ComplaintErrorCode(StrEnum):
    FORBIDDEN = "complaints_forbidden"
    NOT_FOUND = "complaints_not_found"
    WARNING_CLOSED = "warning_closed"
    DUTY_DONE = "warning_duty_done"
    NOTE_REQUIRED = "warning_note_required"
    ALREADY_LINKED = "incident_already_linked"
    NOT_LINKED = "incident_not_linked"
    INCIDENT_RESOLVED = "incident_resolved"
    TITLE_REQUIRED = "incident_title_required"
    NO_TICKETS = "incident_no_tickets"
    COMPENSATION_STATE = "compensation_bad_state"
    OVER_LIMIT = "compensation_over_limit"
    BAD_AMOUNT = "compensation_bad_amount"
    NOT_A_COMPLAINT = "not_a_complaint"
    CAUSE_INACTIVE = "cause_inactive"
    BAD_POST = "post_invalid"
    TASK_DONE = "joint_task_done"
    NOT_A_PARTY = "joint_task_not_a_party"
    CLOSURE_UNCONFIRMED = "complaint_closure_unconfirmed"
    REASON_REQUIRED = "complaint_override_reason_required"
    ALREADY_CLOSED = "complaint_already_closed"
    ACTION_INVALID = "upstream_action_invalid"
    ACTION_DONE = "upstream_action_done"
