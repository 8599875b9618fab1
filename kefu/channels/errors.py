from __future__ import annotations

from enum import StrEnum


class ChannelErrorCode(StrEnum):
    FORBIDDEN = "channels_forbidden"
    NOT_FOUND = "channel_not_found"
    INVALID_CONFIG = "channel_invalid_config"
    CONNECTION_FAILED = "channel_connection_failed"
    NOT_RETRYABLE = "contact_not_retryable"
    RAW_TRUNCATED = "contact_raw_truncated"
    NOT_DISCARDABLE = "contact_not_discardable"
    INVALID_FILTER = "channel_invalid_filter"


class Undeliverable(Exception):
    """A reply no retry can deliver (WeChat's 48-hour window passed, the customer unfollowed):
    the delivery is marked not delivered at once, with this message as the reason."""
