"""SLA arithmetic: due, achieved, elapsed business time and state of every target. Pure, no ORM.

`compute(history, targets, calendar, now=...)` replays a ticket's whole history every time. There is
no stored running total that could drift: changing status back and forth, reopening, or changing
priority or policy and recomputing gives exactly what a fresh replay of the same history gives.
docs/sla.md states each rule with worked examples; in short:

- A target's clock runs in business time of the policy's calendar while the target is active, the
  ticket is not in a pause status and not done (resolved / closed).
- dispatch and first response start at creation; dispatch is achieved by the first assignment or
  transfer, first response by the first staff public reply; resolving achieves both if still open.
- next response starts at the oldest customer message not yet answered (once the first response is
  achieved) and is achieved by the next staff public reply or by resolving. Each such wait is a cycle.
- resolution starts at creation and is achieved by resolving; a reopen resumes the same clock, so the
  business time spent resolved never counts.
- `due_at` is the instant the running business time reaches the target. Achieved at or before it:
  met; not achieved by it: breached. While paused before the due time, `due_at` is None.
- Warning and escalation moments are the instants the running time reaches share × target and
  target + delay; None while they cannot be known (paused before reaching them).
- The policy (targets) is the one that matches the ticket's current attributes and applies to the
  whole history; attribute-change events therefore do not move the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from kefu.core.calendar import BusinessCalendar, add_business_time, business_time_between

__all__ = [
    "DONE_STATUSES",
    "RISK_SHARE",
    "Ev",
    "EvKind",
    "SlaState",
    "Target",
    "TargetResult",
    "TargetSpec",
    "compute",
]

DONE_STATUSES = frozenset({"resolved", "closed"})
# A target past this share of its time is "at risk" (red badge, supervisor board), whatever the
# policy's warning shares are.
RISK_SHARE = 80
_ZERO = timedelta(0)


class Target(StrEnum):
    DISPATCH = "dispatch"
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class SlaState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


class EvKind(StrEnum):
    CREATED = "created"
    STATUS = "status"  # `status` holds the new status; resolve and reopen are status changes
    DISPATCHED = "dispatched"  # assigned to a person or transferred to a team
    STAFF_REPLY = "staff_reply"  # a public reply by staff (internal notes are not replies)
    CUSTOMER_MESSAGE = "customer_message"
    ATTRIBUTES = "attributes"  # priority / category / kind / channel changed: no effect on timing


@dataclass(frozen=True, slots=True)
class Ev:
    at: datetime
    kind: EvKind
    status: str | None = None


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """One target of a policy: `minutes` of business time; warnings at `warn_shares` percent;
    escalation levels `escalate_after` business minutes after the due time."""

    target: Target
    minutes: int
    warn_shares: tuple[int, ...] = (50, 80)
    escalate_after: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class TargetResult:
    target: Target
    cycle: int  # next response: number of the current wait (1, 2, …); other targets: 1
    cycles_breached: int  # next response: earlier waits that were breached (reports count them)
    started_at: datetime
    due_at: datetime | None
    achieved_at: datetime | None
    elapsed: timedelta  # running business time until achieved_at, or until now
    state: SlaState
    paused: bool
    warn_at: tuple[datetime | None, ...] = field(default=())
    escalate_at: tuple[datetime | None, ...] = field(default=())
    # The instant RISK_SHARE of the target is used (the "at risk" board and API filter); None when
    # achieved or not yet knowable (paused before reaching it).
    risk_at: datetime | None = None


# A running span [start, end); end None = still running at the end of the history.
_Span = tuple[datetime, datetime | None]


@dataclass
class _Clock:
    """One target's clock while replaying the history."""

    started_at: datetime
    spans: list[_Span] = field(default_factory=list)
    achieved_at: datetime | None = None
    running_since: datetime | None = None

    def run(self, at: datetime) -> None:
        if self.achieved_at is None and self.running_since is None:
            self.running_since = at

    def stop(self, at: datetime) -> None:
        if self.running_since is not None:
            if at > self.running_since:
                self.spans.append((self.running_since, at))
            self.running_since = None

    def achieve(self, at: datetime) -> None:
        if self.achieved_at is None:
            self.stop(at)
            self.achieved_at = at

    def closed_spans(self) -> list[_Span]:
        spans: list[_Span] = list(self.spans)
        if self.running_since is not None:
            spans.append((self.running_since, None))
        return spans


# A span with the business time of the spans before it and its own (None while still running).
_Seg = tuple[datetime, datetime | None, timedelta, timedelta | None]


def _segments(spans: Sequence[_Span], cal: BusinessCalendar) -> list[_Seg]:
    """Business time of each closed span, measured once per target (every moment below reuses it)."""
    out: list[_Seg] = []
    done = _ZERO
    for start, end in spans:
        seg = business_time_between(start, end, cal) if end is not None else None
        out.append((start, end, done, seg))
        if seg is not None:
            done += seg
    return out


def _reach(segs: Sequence[_Seg], amount: timedelta, cal: BusinessCalendar, origin: datetime) -> datetime | None:
    """The instant the running time over the spans reaches `amount`; None if it does not (yet).
    A zero amount is reached at `origin` (the target's start), running or not."""
    if amount <= _ZERO:
        return origin
    for start, _end, done, seg in segs:
        if seg is None or done + seg >= amount:
            return add_business_time(start, amount - done, cal)
    return None


def _elapsed(segs: Sequence[_Seg], now: datetime, cal: BusinessCalendar) -> timedelta:
    total = _ZERO
    for start, _end, _done, seg in segs:
        total += seg if seg is not None else business_time_between(start, max(now, start), cal)
    return total


def _result(
    spec: TargetSpec,
    clock: _Clock,
    *,
    cycle: int,
    cycles_breached: int,
    paused: bool,
    now: datetime,
    cal: BusinessCalendar,
) -> TargetResult:
    limit = timedelta(minutes=spec.minutes)
    spans = _segments(clock.closed_spans(), cal)
    due = _reach(spans, limit, cal, clock.started_at)
    if clock.achieved_at is not None:
        elapsed = _elapsed(spans, clock.achieved_at, cal)
        state = SlaState.MET if elapsed <= limit else SlaState.BREACHED
        return TargetResult(
            spec.target, cycle, cycles_breached, clock.started_at, due, clock.achieved_at, elapsed, state, False
        )
    elapsed = _elapsed(spans, now, cal)
    if due is not None and now >= due:
        state = SlaState.BREACHED
    elif paused:
        state = SlaState.PAUSED
    else:
        state = SlaState.RUNNING
    warn_at = tuple(_reach(spans, limit * share / 100, cal, clock.started_at) for share in spec.warn_shares)
    escalate_at = tuple(_reach(spans, limit + timedelta(minutes=m), cal, clock.started_at) for m in spec.escalate_after)
    risk_at = _reach(spans, limit * RISK_SHARE / 100, cal, clock.started_at)
    return TargetResult(
        spec.target,
        cycle,
        cycles_breached,
        clock.started_at,
        due,
        None,
        elapsed,
        state,
        paused,
        warn_at,
        escalate_at,
        risk_at,
    )


def compute(
    history: Iterable[Ev],
    targets: Iterable[TargetSpec],
    calendar: BusinessCalendar,
    *,
    now: datetime,
    pause_statuses: Iterable[str] = ("pending_customer",),
) -> dict[Target, TargetResult]:
    """Replay `history` (in order; ties keep their order) and return the result of each target in
    `targets` that has started. Times are aware datetimes; results are in UTC.

    The first event must be CREATED. `now` only decides running versus breached and the elapsed
    time of running targets; due, achieved and warning moments depend on the history alone.
    """
    events = list(history)
    if not events or events[0].kind != EvKind.CREATED:
        raise ValueError("a history starts with a CREATED event")
    now = now.astimezone(UTC)
    specs = {s.target: s for s in targets}
    pauses = frozenset(pause_statuses)
    created = events[0].at.astimezone(UTC)

    status = "new"
    dispatch = _Clock(created)
    first = _Clock(created)
    resolution = _Clock(created)
    nxt: _Clock | None = None  # the current next-response wait
    cycle = 0
    next_results: list[TargetResult] = []  # finished waits (only breached ones matter)
    for clock in (dispatch, first, resolution):
        clock.run(created)

    def running() -> bool:
        return status not in pauses and status not in DONE_STATUSES

    for ev in events[1:]:
        at = ev.at.astimezone(UTC)
        if at < created:
            raise ValueError("events must not precede the CREATED event")
        if ev.kind == EvKind.STATUS:
            if ev.status is None:
                raise ValueError("a STATUS event needs a status")
            was_done = status in DONE_STATUSES
            status = ev.status
            if status in DONE_STATUSES:
                for clock in (dispatch, first, resolution):
                    clock.achieve(at)
                if nxt is not None:
                    nxt.achieve(at)
            elif was_done:
                # Reopen: the resolution clock resumes; earlier achievements stand.
                resolution.achieved_at = None
            clocks = [dispatch, first, resolution] + ([nxt] if nxt is not None else [])
            for clock in clocks:
                if running():
                    clock.run(at)
                else:
                    clock.stop(at)
        elif ev.kind == EvKind.DISPATCHED:
            dispatch.achieve(at)
        elif ev.kind == EvKind.STAFF_REPLY:
            first.achieve(at)
            dispatch.achieve(at)  # whoever replies has taken the ticket
            if nxt is not None:
                nxt.achieve(at)
        elif ev.kind == EvKind.CUSTOMER_MESSAGE:
            waiting = nxt is not None and nxt.achieved_at is None
            if first.achieved_at is not None and not waiting:
                if nxt is not None and Target.NEXT_RESPONSE in specs:
                    next_results.append(
                        _result(specs[Target.NEXT_RESPONSE], nxt, cycle=cycle, cycles_breached=0,
                                paused=False, now=now, cal=calendar)
                    )
                cycle += 1
                nxt = _Clock(at)
                if running():
                    nxt.run(at)
        # CREATED again or ATTRIBUTES: nothing to do for timing.

    paused = status in pauses and status not in DONE_STATUSES
    out: dict[Target, TargetResult] = {}
    for target, clock in ((Target.DISPATCH, dispatch), (Target.FIRST_RESPONSE, first), (Target.RESOLUTION, resolution)):
        if target in specs:
            out[target] = _result(specs[target], clock, cycle=1, cycles_breached=0, paused=paused, now=now,
                                  cal=calendar)
    if nxt is not None and Target.NEXT_RESPONSE in specs:
        breached = sum(1 for r in next_results if r.state == SlaState.BREACHED)
        out[Target.NEXT_RESPONSE] = _result(
            specs[Target.NEXT_RESPONSE], nxt, cycle=cycle, cycles_breached=breached, paused=paused, now=now,
            cal=calendar,
        )
    return out
