"""Time, date and datetime types for API input schemas, with one rule for zones and ranges.

Every API schema that *accepts* a time of day, a date or a moment uses these instead of the bare
``datetime`` types, so no endpoint passes Django a value it cannot store (a zone-aware time of day, a
year 9999 moment that overflows when moved to UTC) and answers a 500. The rule, also in docs/api.md:

- ``WallTime`` (a time of day such as a shift start): local wall-clock time in the center's zone
  (``TIME_ZONE``, Asia/Shanghai), written ``HH:MM`` or ``HH:MM:SS``. A time with a zone (``08:30Z``,
  ``08:30+08:00``) is refused: without a date it cannot be moved between zones reliably.
- ``ApiDateTime``: a moment. With an offset or ``Z`` it is converted to UTC; without one it is read
  as local time in ``TIME_ZONE`` (what a clerk in Shanghai means by ``2026-11-22T09:00``).
- ``ApiDate`` and ``ApiDateTime`` must lie in years 1900–2999; anything else is refused.

Refusals are pydantic validation errors, so the API answers 422 ``validation_error`` with the field
named in ``fields``. kefu/tests/test_api_times.py fails for an input schema that uses a bare type.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from pydantic import AfterValidator, WithJsonSchema

MIN_YEAR = 1900
MAX_YEAR = 2999

_WALL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


def _wall_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError(
            "A time of day is local time (Asia/Shanghai) without a zone: send 08:30 or 08:30:00, not 08:30Z."
        )
    return value


def _in_range(value: date) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"The year must be between {MIN_YEAR} and {MAX_YEAR}.")


def _api_date(value: date) -> date:
    _in_range(value)
    return value


def _api_datetime(value: datetime) -> datetime:
    _in_range(value)  # before any arithmetic: year 1 or 9999 overflows when moved between zones
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    value = value.astimezone(UTC)
    _in_range(value)
    return value


WallTime = Annotated[
    time,
    AfterValidator(_wall_time),
    WithJsonSchema(
        {"type": "string", "pattern": _WALL_TIME_PATTERN, "examples": ["08:30"],
         "description": "Local time of day (Asia/Shanghai), HH:MM[:SS], without a zone."}  # fmt: skip
    ),
]

ApiDate = Annotated[
    date,
    AfterValidator(_api_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-11-23"]}),
]

ApiDateTime = Annotated[
    datetime,
    AfterValidator(_api_datetime),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2026-11-22T08:30:00Z"],
         "description": "ISO 8601; with an offset converted to UTC, without one read as Asia/Shanghai."}  # fmt: skip
    ),
]

API_TIME_TYPES: tuple[Any, ...] = (WallTime, ApiDate, ApiDateTime)
