"""Calendars and policies compiled from their rows into pure objects, cached per process.

Every edit of a calendar or policy (admin, services, the holiday sync) calls `sla_config_changed()`
in its transaction, which writes a new random token; `get_config()` reads the token (one indexed
query) and rebuilds only when it differs from the cached one.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import time, timedelta

from kefu.core import calendar as core_calendar
from kefu.core import tokens
from kefu.sla.choices import DayKind
from kefu.sla.engine import Target
from kefu.sla.models import (
    BusinessCalendar,
    CalendarDay,
    EscalationLevel,
    SlaConfigVersion,
    SlaPolicy,
    WorkingPeriod,
)
from kefu.sla.policy import EscalationRule, PolicyRule, TicketAttrs, pick_policy

_lock = threading.Lock()
_cached: SlaConfig | None = None


@dataclass(frozen=True)
class SlaConfig:
    token: str
    calendars: dict[int, core_calendar.BusinessCalendar]
    rules: list[PolicyRule]

    def policy_for(self, attrs: TicketAttrs) -> PolicyRule:
        return pick_policy(self.rules, attrs)


def _offset(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second)


def calendar_from_rows(
    cal: BusinessCalendar, periods: list[WorkingPeriod], days: list[CalendarDay]
) -> core_calendar.BusinessCalendar:
    """The pure calendar of one BusinessCalendar row (end 00:00 means 24:00)."""
    if cal.is_24x7:
        return core_calendar.BusinessCalendar.always_open(cal.tz)
    schedule: dict[int, list[core_calendar.WorkingPeriod]] = {}
    for p in sorted(periods, key=lambda p: (p.weekday, p.start)):
        end = timedelta(days=1) if p.end == time(0) else _offset(p.end)
        schedule.setdefault(p.weekday, []).append(core_calendar.WorkingPeriod(_offset(p.start), end))
    return core_calendar.BusinessCalendar.from_schedule(
        schedule,
        tz=cal.tz,
        holidays=[d.date for d in days if d.kind == DayKind.HOLIDAY],
        workdays=[d.date for d in days if d.kind == DayKind.WORKDAY],
        makeup_weekday=cal.makeup_weekday,
    )


tokens.register("sla", f'SELECT "token" FROM "{SlaConfigVersion._meta.db_table}" WHERE "id" = 1')


def _current_token() -> str:
    # Read with the other configuration tokens in one statement (kefu.core.tokens).
    return tokens.value("sla") or "missing"


def load_config() -> SlaConfig:
    """Read every calendar and active policy (5 queries) and compile them."""
    token = _current_token()
    periods: dict[int, list[WorkingPeriod]] = {}
    for p in WorkingPeriod.objects.all():
        periods.setdefault(p.calendar_id, []).append(p)
    days: dict[int, list[CalendarDay]] = {}
    for d in CalendarDay.objects.all():
        days.setdefault(d.calendar_id, []).append(d)
    calendars = {
        c.pk: calendar_from_rows(c, periods.get(c.pk, []), days.get(c.pk, []))
        for c in BusinessCalendar.objects.all()
    }
    escalations: dict[int, list[EscalationRule]] = {}
    for e in EscalationLevel.objects.order_by("level"):
        escalations.setdefault(e.policy_id, []).append(EscalationRule(e.level, e.delay_minutes))
    rules = []
    for pol in SlaPolicy.objects.filter(is_active=True).prefetch_related("match_categories", "match_tiers"):
        minutes = tuple((t, m) for t in Target if (m := pol.minutes_for(t.value)) is not None)
        rules.append(
            PolicyRule(
                id=pol.pk,
                name=pol.name,
                calendar_id=pol.calendar_id,
                position=pol.position,
                is_default=pol.is_default,
                kinds=frozenset(pol.match_kinds or ()),
                priorities=frozenset(pol.match_priorities or ()),
                channels=frozenset(pol.match_channels or ()),
                category_paths=tuple(c.path for c in pol.match_categories.all()),
                tier_ids=frozenset(t.pk for t in pol.match_tiers.all()),
                minutes=minutes,
                warn_shares=tuple(int(s) for s in (pol.warn_shares or ())),
                pause_statuses=tuple(pol.pause_statuses or ()),
                escalations=tuple(escalations.get(pol.pk, [])),
            )
        )
    return SlaConfig(token=token, calendars=calendars, rules=rules)


def get_config() -> SlaConfig:
    """The compiled configuration, rebuilt when an edit changed the token (one query per call)."""
    global _cached
    token = _current_token()
    cached = _cached
    if cached is not None and cached.token == token:
        return cached
    with _lock:
        config = load_config()
        _cached = config
        return config


def sla_config_changed() -> None:
    """Mark calendars and policies as edited: every process reloads them on its next use.
    Call inside the transaction of the edit, so the new token commits together with it."""
    token = uuid.uuid4().hex
    tokens.forget()
    if not SlaConfigVersion.objects.filter(pk=1).update(token=token):
        SlaConfigVersion.objects.create(pk=1, token=token)
