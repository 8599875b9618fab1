"""When an asset's periodic maintenance (定期保养) falls due: pure date arithmetic, no ORM.

By time: `months` after the last service (the same day of the month, or the month's last day).
By mileage: `km` after the mileage at the last service, at the pace driven since then (the
kilometres on the asset's file over the days gone by). Whichever comes first is the due date."""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class Due:
    on: date
    reason: str  # "months" or "mileage"


def add_months(day: date, months: int) -> date:
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due(
    *, last_service_on: date, today: date, months: int | None = None, km: int | None = None,
    mileage: int | None = None, last_service_km: int | None = None,
) -> Due | None:
    """The next due date, or None when neither interval can be worked out."""
    candidates: list[Due] = []
    if months:
        candidates.append(Due(add_months(last_service_on, months), "months"))
    if km and mileage is not None and last_service_km is not None and mileage >= last_service_km:
        left = last_service_km + km - mileage
        days_gone = (today - last_service_on).days
        if left <= 0:
            candidates.append(Due(today, "mileage"))
        elif days_gone > 0 and mileage > last_service_km:
            per_day = (mileage - last_service_km) / days_gone
            candidates.append(Due(today + timedelta(days=math.ceil(left / per_day)), "mileage"))
    if not candidates:
        return None
    # The earlier date; on the same day time comes first (it is the one the customer can check).
    return min(candidates, key=lambda d: (d.on, d.reason != "months"))


def parse_day(value: object) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def parse_km(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
