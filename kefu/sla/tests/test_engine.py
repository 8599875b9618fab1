"""Table tests of the pure engine on the 2026 Chinese calendar (09:00–12:00, 13:30–18:00)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kefu.core.calendar import BusinessCalendar, chinese_holidays
from kefu.sla.engine import Ev, EvKind, SlaState, Target, TargetSpec, compute

SH = ZoneInfo("Asia/Shanghai")
_hol, _work = chinese_holidays([2025, 2026])
CN = BusinessCalendar.workweek("09:00-12:00", "13:30-18:00", holidays=_hol, workdays=_work)
ALWAYS = BusinessCalendar.always_open()
FAR = datetime(2030, 1, 1, tzinfo=UTC)


def t(text: str) -> datetime:
    """'2026-03-10 11:30' in Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def created(at: str) -> Ev:
    return Ev(t(at), EvKind.CREATED)


def status(at: str, s: str) -> Ev:
    return Ev(t(at), EvKind.STATUS, s)


def ev(at: str, kind: EvKind) -> Ev:
    return Ev(t(at), kind)


def spec(target: Target, minutes: int, shares: tuple[int, ...] = (50, 80), esc: tuple[int, ...] = ()) -> TargetSpec:
    return TargetSpec(target, minutes, shares, esc)


def one(history: list[Ev], target: Target, minutes: int, now: datetime = FAR, cal: BusinessCalendar = CN, **kw):
    return compute(history, [spec(target, minutes, **kw)], cal, now=now)[target]


# Resolution targets from a creation moment, no other events: (created, minutes, due) — the docs' table.
DUE_TABLE = [
    ("2026-03-10 11:30", 60, "2026-03-10 14:00"),  # lunch break skipped
    ("2026-03-13 17:30", 60, "2026-03-16 09:30"),  # weekend
    ("2026-03-09 09:00", 48 * 60, "2026-03-17 12:00"),  # 48 business hours = 6.4 days
    ("2026-09-30 17:00", 120, "2026-10-08 10:00"),  # 国庆 1–8 Oct (8 Oct works)
    ("2026-10-09 17:00", 120, "2026-10-10 10:00"),  # 调休 Saturday 10 Oct works
    ("2026-02-13 17:00", 120, "2026-02-14 10:00"),  # 调休 Saturday 14 Feb works
    ("2026-02-14 17:00", 120, "2026-02-24 10:00"),  # 春节 15–23 Feb
    # 2027 is not published in chinese-calendar 1.11: 元旦 Fri 1 Jan 2027 works until someone enters it.
    ("2026-12-31 17:30", 60, "2027-01-01 09:30"),
    ("2026-03-10 12:10", 30, "2026-03-10 14:00"),  # created in the lunch break
    ("2026-03-10 08:00", 0, "2026-03-10 08:00"),  # zero target: due at once
    ("2026-05-01 10:00", 60, "2026-05-06 10:00"),  # 劳动节 1–5 May, created on a holiday
    ("2026-05-08 17:00", 90, "2026-05-09 09:30"),  # 调休 Saturday 9 May
]


@pytest.mark.parametrize(("start", "minutes", "due"), DUE_TABLE)
def test_due_times(start, minutes, due):
    r = one([created(start)], Target.RESOLUTION, minutes)
    assert r.due_at == t(due)
    assert r.state == SlaState.BREACHED  # FAR is after every due time
    assert r.achieved_at is None


def test_running_before_due_and_breached_at_due():
    h = [created("2026-03-10 09:00")]
    assert one(h, Target.RESOLUTION, 60, now=t("2026-03-10 09:59")).state == SlaState.RUNNING
    assert one(h, Target.RESOLUTION, 60, now=t("2026-03-10 10:00")).state == SlaState.BREACHED


def test_elapsed_of_running_target_counts_until_now_in_business_time():
    r = one([created("2026-03-10 11:00")], Target.RESOLUTION, 600, now=t("2026-03-10 14:00"))
    assert r.elapsed == timedelta(hours=1, minutes=30)
    assert r.state == SlaState.RUNNING


def test_first_response_met_and_breached():
    h = [created("2026-03-10 11:30"), ev("2026-03-10 14:00", EvKind.STAFF_REPLY)]
    met = one(h, Target.FIRST_RESPONSE, 60)
    assert met.state == SlaState.MET and met.achieved_at == t("2026-03-10 14:00")
    assert met.elapsed == timedelta(hours=1)  # 11:30–12:00 and 13:30–14:00
    late = one(h, Target.FIRST_RESPONSE, 59)
    assert late.state == SlaState.BREACHED and late.elapsed == timedelta(hours=1)


def test_pause_across_a_holiday_does_not_count():
    # Created Wed 30 Sep 16:00; pending customer from 17:00 until Fri 9 Oct 10:00 (国庆 in between).
    h = [
        created("2026-09-30 16:00"),
        status("2026-09-30 17:00", "pending_customer"),
        status("2026-10-09 10:00", "in_progress"),
    ]
    r = one(h, Target.RESOLUTION, 240, now=t("2026-10-09 10:00"))
    # 1 h before the pause; 3 h left from Fri 9 Oct 10:00 → 13:30 + 1 h = 14:30.
    assert r.due_at == t("2026-10-09 14:30")
    assert r.elapsed == timedelta(hours=1)
    assert r.state == SlaState.RUNNING and not r.paused


def test_paused_target_has_no_due_time_and_warnings_unknown():
    h = [created("2026-03-10 09:00"), status("2026-03-10 10:00", "pending_customer")]
    r = one(h, Target.RESOLUTION, 240, now=t("2026-03-11 09:00"))
    assert r.paused and r.state == SlaState.PAUSED and r.due_at is None
    assert r.warn_at == (None, None)  # 120 and 192 min: not reached before the pause
    assert r.elapsed == timedelta(hours=1)


def test_warning_reached_before_pause_stays_known():
    h = [created("2026-03-10 09:00"), status("2026-03-10 11:00", "pending_customer")]
    r = one(h, Target.RESOLUTION, 200, now=t("2026-03-11 09:00"))
    assert r.warn_at == (t("2026-03-10 10:40"), None)


def test_breached_then_paused_stays_breached():
    h = [created("2026-03-10 09:00"), status("2026-03-10 11:00", "pending_customer")]
    r = one(h, Target.RESOLUTION, 60, now=t("2026-03-11 09:00"))
    assert r.state == SlaState.BREACHED and r.paused and r.due_at == t("2026-03-10 10:00")


def test_reopen_resumes_resolution_clock():
    # 2 h used, resolved Tue 10 Mar 11:00, reopened Thu 12 Mar 09:00; 4 h target → 2 h left.
    h = [
        created("2026-03-10 09:00"),
        ev("2026-03-10 09:30", EvKind.STAFF_REPLY),
        status("2026-03-10 11:00", "resolved"),
        ev("2026-03-12 09:00", EvKind.CUSTOMER_MESSAGE),
        status("2026-03-12 09:00", "in_progress"),
    ]
    r = compute(h, [spec(Target.RESOLUTION, 240), spec(Target.FIRST_RESPONSE, 60), spec(Target.NEXT_RESPONSE, 60)],
                CN, now=t("2026-03-12 09:00"))
    res = r[Target.RESOLUTION]
    assert res.achieved_at is None and res.due_at == t("2026-03-12 11:00") and res.elapsed == timedelta(hours=2)
    first = r[Target.FIRST_RESPONSE]
    assert first.state == SlaState.MET and first.achieved_at == t("2026-03-10 09:30")
    nxt = r[Target.NEXT_RESPONSE]
    assert nxt.cycle == 1 and nxt.started_at == t("2026-03-12 09:00") and nxt.due_at == t("2026-03-12 10:00")


def test_resolved_target_is_achieved_at_resolution():
    h = [created("2026-03-10 09:00"), status("2026-03-10 10:00", "resolved")]
    r = compute(h, [spec(Target.RESOLUTION, 120), spec(Target.FIRST_RESPONSE, 30), spec(Target.DISPATCH, 30)], CN, now=FAR)
    assert r[Target.RESOLUTION].state == SlaState.MET
    # Resolving achieves open first response and dispatch too (late here).
    assert r[Target.FIRST_RESPONSE].achieved_at == t("2026-03-10 10:00")
    assert r[Target.FIRST_RESPONSE].state == SlaState.BREACHED
    assert r[Target.DISPATCH].state == SlaState.BREACHED


def test_dispatch_by_assignment():
    h = [created("2026-03-10 17:50"), ev("2026-03-11 09:05", EvKind.DISPATCHED)]
    r = one(h, Target.DISPATCH, 30)
    assert r.state == SlaState.MET and r.elapsed == timedelta(minutes=15)


def test_next_response_cycles_and_breach_count():
    h = [
        created("2026-03-10 09:00"),
        ev("2026-03-10 09:10", EvKind.STAFF_REPLY),
        ev("2026-03-10 10:00", EvKind.CUSTOMER_MESSAGE),
        ev("2026-03-10 10:30", EvKind.CUSTOMER_MESSAGE),  # still the same wait
        ev("2026-03-10 11:30", EvKind.STAFF_REPLY),  # 90 min: breached
        ev("2026-03-10 14:00", EvKind.CUSTOMER_MESSAGE),
    ]
    r = one(h, Target.NEXT_RESPONSE, 60, now=t("2026-03-10 14:10"))
    assert r.cycle == 2 and r.cycles_breached == 1
    assert r.started_at == t("2026-03-10 14:00") and r.due_at == t("2026-03-10 15:00")
    assert r.state == SlaState.RUNNING


def test_customer_message_before_first_reply_does_not_start_next_response():
    h = [created("2026-03-10 09:00"), ev("2026-03-10 09:05", EvKind.CUSTOMER_MESSAGE)]
    assert compute(h, [spec(Target.NEXT_RESPONSE, 60)], CN, now=FAR) == {}


def test_warnings_and_escalations():
    h = [created("2026-03-10 09:00")]
    r = one(h, Target.RESOLUTION, 240, esc=(0, 120, 480))
    assert r.warn_at == (t("2026-03-10 11:00"), t("2026-03-10 13:42"))
    assert r.escalate_at == (t("2026-03-10 14:30"), t("2026-03-10 16:30"), t("2026-03-11 15:00"))


def test_attribute_changes_do_not_move_the_clock():
    base = [created("2026-03-10 09:00"), status("2026-03-10 09:30", "in_progress")]
    with_attrs = [*base[:1], ev("2026-03-10 09:10", EvKind.ATTRIBUTES), *base[1:]]
    assert one(base, Target.RESOLUTION, 60) == one(with_attrs, Target.RESOLUTION, 60)


def test_24x7_calendar_counts_nights_and_holidays():
    r = one([created("2026-09-30 17:00")], Target.RESOLUTION, 48 * 60, cal=ALWAYS)
    assert r.due_at == t("2026-10-02 17:00")


def test_custom_pause_statuses():
    h = [created("2026-03-10 09:00"), status("2026-03-10 09:30", "assigned"), status("2026-03-10 10:30", "in_progress")]
    r = compute(h, [spec(Target.RESOLUTION, 60)], CN, now=FAR, pause_statuses=["assigned"])[Target.RESOLUTION]
    assert r.due_at == t("2026-03-10 11:00")


def test_history_must_start_with_creation():
    with pytest.raises(ValueError):
        compute([status("2026-03-10 09:00", "new")], [], CN, now=FAR)
    with pytest.raises(ValueError):
        compute([created("2026-03-10 09:00"), status("2026-03-09 09:00", "resolved")], [], CN, now=FAR)
