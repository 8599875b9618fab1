from __future__ import annotations

from enum import StrEnum


class ChatErrorCode(StrEnum):
    BAD_TOKEN = "bad_token"
    EMPTY_MESSAGE = "empty_message"
    MESSAGE_TOO_LONG = "message_too_long"
    CONVERSATION_ENDED = "conversation_ended"
    NOT_FOUND = "conversation_not_found"
    NOT_WAITING = "not_waiting"
    NOT_YOURS = "not_yours"
    AT_CAPACITY = "at_capacity"
    RATE_LIMITED = "rate_limited"
    BAD_RATING = "bad_rating"
    NOT_ENDED = "not_ended"
    ALREADY_RATED = "already_rated"
    NO_SUCH_AGENT = "no_such_agent"
    NO_SUCH_TEAM = "no_such_team"
    AGENT_OFFLINE = "agent_offline"
    NO_OFFER = "no_offer"
    BAD_CAPACITY = "bad_capacity"
    FILE_TOO_LARGE = "file_too_large"
    FILE_NOT_FOUND = "file_not_found"
    FILE_TYPE_NOT_ALLOWED = "file_type_not_allowed"
