"""Keyset (cursor) pagination: flat cost at any depth, stable under inserts."""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, n: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != n:
            raise ValueError
        return values
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise DomainError(code="invalid_cursor", message=_("Invalid cursor.")) from exc


def _cursor_value(field: str, value: Any) -> Any:
    """Check a decoded cursor value against the field it pages on, so a forged cursor is a 400, not a
    database error: aware datetimes for *_at fields, 64-bit integers, strings without NUL."""
    try:
        if field.endswith("_at"):
            if not isinstance(value, str):
                raise ValueError
            parsed = datetime.fromisoformat(value)
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        if field in ("id", "pk") or field.endswith("_id"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise ValueError
        if isinstance(value, str) and "\x00" in value:
            raise ValueError
        return value
    except (ValueError, OverflowError) as exc:
        raise DomainError(code="invalid_cursor", message=_("Invalid cursor.")) from exc


def keyset_page(qs: QuerySet, *, ordering: tuple[str, str], cursor: str | None, limit: int) -> Page:
    """Page through `qs` ordered by two fields (e.g. ("-updated_at", "-id")), both in the same direction.

    The cursor holds the last row's values; the next page is `(a, b) < (last_a, last_b)` for
    descending order. One query per page, using the (a, b) index.
    """
    first, second = ordering
    desc = first.startswith("-")
    f1, f2 = first.lstrip("-"), second.lstrip("-")
    qs = qs.order_by(first, second)
    if cursor:
        v1, v2 = (_cursor_value(f, v) for f, v in zip((f1, f2), decode_cursor(cursor, 2), strict=True))
        op = "lt" if desc else "gt"
        # `a <= x AND (a < x OR b < y)`: the first term lets the (a, b) index do a range scan.
        qs = qs.filter(**{f"{f1}__{op}e": v1}).filter(Q(**{f"{f1}__{op}": v1}) | Q(**{f"{f2}__{op}": v2}))
    rows = list(qs[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = encode_cursor([getattr(last, f1), getattr(last, f2)])
    return Page(items=rows, next_cursor=next_cursor)
