from __future__ import annotations

from enum import StrEnum


class KnowledgeErrorCode(StrEnum):
    NOT_FOUND = "knowledge_not_found"
    FORBIDDEN = "knowledge_forbidden"
    INVALID_TRANSITION = "knowledge_invalid_transition"
    REVIEWER_REQUIRED = "knowledge_reviewer_required"
    TITLE_REQUIRED = "knowledge_title_required"
    SHORTCUT_TAKEN = "canned_reply_shortcut_taken"
    TICKET_NOT_RESOLVED = "case_ticket_not_resolved"
    CASE_EXISTS = "case_exists_for_ticket"
    QUERY_TOO_LONG = "search_query_too_long"
    NO_VERSION = "article_version_not_found"
