"""The workforce app has no time-driven jobs yet (schedules are published by hand)."""

from __future__ import annotations
