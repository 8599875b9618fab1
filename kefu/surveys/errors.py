from __future__ import annotations

from enum import StrEnum


class SurveyErrorCode(StrEnum):
    NOT_FOUND = "survey_not_found"
    ALREADY_ANSWERED = "survey_already_answered"
    EXPIRED = "survey_expired"
    NOT_OPEN = "survey_not_open"
    INVALID_ANSWER = "survey_invalid_answer"
    CALLBACK_NOT_FOUND = "callback_not_found"
    CALLBACK_CLOSED = "callback_closed"
    INVALID_RESULT = "callback_invalid_result"
    PLAN_NOT_FOUND = "callback_plan_not_found"
    CASE_NOT_FOUND = "dissatisfied_case_not_found"
    CASE_CLOSED = "dissatisfied_case_closed"
    CARE_NOT_FOUND = "care_action_not_found"
    FORBIDDEN = "surveys_forbidden"
    INVALID_INPUT = "surveys_invalid_input"
