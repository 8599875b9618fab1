"""Every workforce write. Keyword-only, typed, atomic; access is checked here so the HTML pages, the API and the
tasks get the same rules."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import TruncMinute
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Skill, Team, User
from kefu.core.errors import Conflict, DomainError, Forbidden, NotFound
from kefu.sla.models import BusinessCalendar
from kefu.tickets.choices import Channel
from kefu.tickets.models import Ticket
from kefu.workforce import planning
from kefu.workforce.access import access_queue, access_schedule, may_decide_leave, require_planner
from kefu.workforce.choices import (
    ForecastMethod,
    HistorySource,
    ImportKind,
    ImportStatus,
    LeaveStatus,
    ScheduleStatus,
    StaffingModel,
)
from kefu.workforce.engine import forecast as fc
from kefu.workforce.engine.schedule import AgentSpec, assign_agents, solve_tours
from kefu.workforce.errors import WorkforceErrorCode
from kefu.workforce.models import (
    Forecast,
    HistoryImport,
    IntervalVolume,
    LeaveRequest,
    Queue,
    Schedule,
    Shift,
)

MAX_IMPORT_ERRORS = 50
PROGRESS_EVERY = 2000
MAX_LEAVE_DAYS = 31

QUEUE_FIELDS = {
    "name", "team", "skill", "interval_minutes", "service_level", "service_time", "asa", "abandonment", "occupancy",
    "staffing_model", "patience", "shrinkage", "hourly_cost", "default_aht", "forecast_method", "promotion_days",
    "days_off", "consecutive_days_off", "max_consecutive_days", "min_weekly_hours", "max_weekly_hours",
    "shift_hours", "shift_earliest_start", "shift_latest_start", "break_minutes", "break_after_hours",
    "break_before_hours", "is_active", "calendar", "count_tickets", "channels", "team_id", "skill_id", "calendar_id",
}  # fmt: skip

# The history clock: how often a queue's ticket counts are refreshed, how much one run may count (a first run
# back-fills HISTORY_DAYS in chunks, one per clock row, so no single run holds a long transaction), and how far
# behind the watermark every run recounts.
HISTORY_REFRESH_EVERY = timedelta(minutes=5)
HISTORY_CHUNK = timedelta(days=7)
# A ticket is stamped created_at when its transaction starts but becomes visible only at commit: one stamped
# 10:29:59 that commits at 10:30:01 would be missed by a run that counted up to 10:30 in between. Recounting the
# last few minutes on every run catches it; the recount replaces rows, so counting twice never counts double.
HISTORY_RECOUNT = timedelta(minutes=10)


def _invalid(field: str, message: Any) -> DomainError:
    return DomainError(code=WorkforceErrorCode.INVALID_QUEUE, message=message, fields={field: [str(message)]})


def _validate_queue(q: Queue) -> None:
    if not 0 < q.service_level < 1:
        raise _invalid("service_level", _("The service level is a fraction between 0 and 1, e.g. 0.8."))
    if not 0 <= q.service_time <= 3600:
        raise _invalid("service_time", _("The answer time is between 0 and 3600 seconds."))
    if q.asa is not None and not 0 < q.asa <= 3600:
        raise _invalid("asa", _("The average speed of answer is between 0 and 3600 seconds."))
    if q.abandonment is not None and not 0 < q.abandonment < 1:
        raise _invalid("abandonment", _("The abandonment cap is a fraction between 0 and 1, e.g. 0.05."))
    if not 0 <= q.shrinkage < 1:
        raise _invalid("shrinkage", _("Shrinkage is a fraction from 0 to below 1, e.g. 0.3."))
    if q.occupancy is not None and not 0 < q.occupancy <= 1:
        raise _invalid("occupancy", _("The occupancy cap is a fraction between 0 and 1."))
    if q.staffing_model not in StaffingModel.values:
        raise _invalid("staffing_model", _("Unknown staffing model."))
    if q.patience is not None and not q.patience > 0:
        raise _invalid("patience", _("The mean patience must be more than 0 seconds."))
    if q.staffing_model == StaffingModel.ERLANG_A and not (q.patience and q.patience > 0):
        raise _invalid("patience", _("Erlang A needs the callers' mean patience in seconds."))
    if q.interval_minutes not in (15, 30, 60):
        raise _invalid("interval_minutes", _("The interval must be 15, 30 or 60 minutes."))
    if not 0 < q.default_aht <= 86400:
        raise _invalid("default_aht", _("The default handling time is between 1 second and one day."))
    if q.hourly_cost is None or not 0 <= q.hourly_cost <= 100_000:
        raise _invalid("hourly_cost", _("The cost per hour is between 0 and 100000 yuan."))
    if q.forecast_method not in ForecastMethod.values:
        raise _invalid("forecast_method", _("Unknown forecast method."))
    if not isinstance(q.channels, list) or not set(q.channels) <= set(Channel.values):
        raise _invalid("channels", _("Unknown ticket channel."))
    if not isinstance(q.promotion_days, list):
        raise _invalid("promotion_days", _("Promotion days are a list of dates."))
    for day in q.promotion_days:
        try:
            date.fromisoformat(str(day))
        except ValueError:
            raise _invalid(
                "promotion_days", _("%(day)s is not a date (YYYY-MM-DD).") % {"day": day}
            ) from None
    if not 0 <= q.days_off <= 6:
        raise _invalid("days_off", _("Days off per week are between 0 and 6."))
    if not 1 <= q.max_consecutive_days <= 7:
        raise _invalid("max_consecutive_days", _("Between 1 and 7 days."))
    if not 0 <= q.min_weekly_hours <= q.max_weekly_hours <= 168:
        raise _invalid("max_weekly_hours", _("The weekly hours need 0 ≤ minimum ≤ maximum ≤ 168."))
    if not 0 < q.shift_hours <= 24:
        raise _invalid("shift_hours", _("A shift lasts more than 0 and at most 24 hours."))
    for field, model in (("team", Team), ("skill", Skill), ("calendar", BusinessCalendar)):
        pk = getattr(q, f"{field}_id")
        if pk is not None and not model.objects.filter(pk=pk).exists():
            raise _invalid(f"{field}_id", _("No such %(what)s.") % {"what": model._meta.verbose_name})
    try:
        planning.template_of(q).validate(q.slots_per_day)
        if not planning.rules_of(q).patterns():
            raise ValueError("no pattern")
    except ValueError:
        raise _invalid("shift_hours", _("The shift and break settings do not fit together.")) from None


def queue_create(*, actor: User, name: str, **fields: Any) -> Queue:
    """Create a planning queue. Managers only."""
    require_planner(actor, write=True)
    unknown = set(fields) - QUEUE_FIELDS
    if unknown:
        raise _invalid(sorted(unknown)[0], _("Unknown setting."))
    queue = Queue(name=name.strip(), **fields)
    if not queue.name:
        raise _invalid("name", _("Give the queue a name."))
    _validate_queue(queue)
    with transaction.atomic():
        if Queue.objects.filter(name=queue.name).exists():
            raise _invalid("name", _("A queue with this name exists."))
        queue.history_due_at = timezone.now() if queue.count_tickets else None
        queue.save()
    return queue


def queue_update(*, actor: User, queue_id: int, **fields: Any) -> Queue:
    """Change a queue's goals, costs or work rules. Managers only; the row is locked."""
    with transaction.atomic():
        access_queue(user=actor, queue_id=queue_id, write=True)
        queue = Queue.objects.select_for_update().get(pk=queue_id)
        unknown = set(fields) - QUEUE_FIELDS
        if unknown:
            raise _invalid(sorted(unknown)[0], _("Unknown setting."))
        mapping_before = (queue.count_tickets, sorted(queue.channels or []), queue.team_id)
        for key, value in fields.items():
            setattr(queue, key, value)
        if "name" in fields:
            queue.name = str(queue.name).strip()
            if not queue.name:
                raise _invalid("name", _("Give the queue a name."))
            if Queue.objects.filter(name=queue.name).exclude(pk=queue.pk).exists():
                raise _invalid("name", _("A queue with this name exists."))
        _validate_queue(queue)
        update = list(fields)
        mapping_after = (queue.count_tickets, sorted(queue.channels or []), queue.team_id)
        if mapping_after != mapping_before:
            # Switched on or the ticket mapping changed: count at once, the whole history again (the old counts
            # belong to another mapping). Switched off: the clock leaves the queue and its history alone.
            queue.history_due_at = timezone.now() if queue.count_tickets else None
            if mapping_after[1:] != mapping_before[1:]:
                queue.history_counted_until = None
            update += ["history_due_at", "history_counted_until"]
        if update:
            queue.save(update_fields=update)
    return queue


# ---------------------------------------------------------------- history


def _upsert_volumes(queue: Queue, buckets: dict[datetime, list[float]], source: str) -> int:
    """Replace the rows of these intervals (an import is the truth for the intervals it covers)."""
    if not buckets:
        return 0
    IntervalVolume.objects.filter(queue=queue, start__in=list(buckets)).delete()
    IntervalVolume.objects.bulk_create(
        [
            IntervalVolume(queue=queue, start=s, calls=v[0], handle_seconds=v[1], source=source)
            for s, v in buckets.items()
        ],
        batch_size=1000,
    )
    return len(buckets)


def _ticket_counts(queue: Queue, since: datetime, until: datetime) -> dict[datetime, list[float]]:
    """Tickets created in [since, until) per interval start, mapped to the queue by channel and team."""
    tickets = Ticket.objects.filter(created_at__gte=since, created_at__lt=until)
    if queue.channels:
        tickets = tickets.filter(channel__in=queue.channels)
    if queue.team_id:
        tickets = tickets.filter(team_id=queue.team_id)
    buckets: dict[datetime, list[float]] = defaultdict(lambda: [0.0, 0.0])
    # Grouped by minute in the database (ticket_created_idx serves the range); minutes to intervals here, in
    # local time, which stays portable across SQLite and PostgreSQL.
    for minute, n in (
        tickets.annotate(m=TruncMinute("created_at")).values_list("m").annotate(n=Count("id")).order_by()
    ):
        start = _bucket(queue, minute)
        buckets[start][0] += n
        # Tickets record no talk or handling time: every contact counts the queue's default AHT.
        buckets[start][1] += n * queue.default_aht
    return buckets


def _write_ticket_counts(queue: Queue, since: datetime, until: datetime) -> int:
    """Replace the ticket-fed intervals in [since, until) with a fresh count (idempotent: a recount of the
    same range writes the same rows, and an interval whose tickets are gone loses its row). Intervals fed by an
    import are the truth and are left alone."""
    buckets = _ticket_counts(queue, since, until)
    with transaction.atomic():
        in_range = IntervalVolume.objects.filter(queue=queue, start__gte=since, start__lt=until)
        imported = set(in_range.filter(source=HistorySource.IMPORT).values_list("start", flat=True))
        in_range.filter(source=HistorySource.TICKETS).delete()
        return _upsert_volumes(
            queue, {k: v for k, v in buckets.items() if k not in imported}, HistorySource.TICKETS
        )


def history_refresh_from_tickets(
    *, actor: User | None, queue_id: int, since: datetime, until: datetime
) -> int:
    """Recount the tickets created per interval in [since, until) (both rounded down to an interval start) into
    the queue's history, mapped by the queue's channels and team. Intervals fed by an import are left alone.
    Returns the number of intervals written."""
    if actor is not None:
        require_planner(actor, write=True)
    queue = Queue.objects.get(pk=queue_id)
    return _write_ticket_counts(queue, _bucket(queue, since), _bucket(queue, until))


def history_refresh_due(*, queue_id: int, due_at: datetime, now: datetime) -> bool:
    """The clock job `workforce_history`: count the queue's tickets from its watermark
    (`history_counted_until`, less HISTORY_RECOUNT) up to the start of the current interval, at most
    HISTORY_CHUNK per run; a queue never counted starts HISTORY_DAYS back.

    Claims the queue with a conditional UPDATE on `history_due_at` (False when another clock took it or counting
    was switched off), then moves the watermark. Still behind after this chunk: due again at once; caught up: due
    in HISTORY_REFRESH_EVERY. Only closed intervals are counted, so the watermark is always an interval start.
    """
    claimed = Queue.objects.filter(pk=queue_id, history_due_at=due_at, count_tickets=True).update(
        history_due_at=now + HISTORY_REFRESH_EVERY
    )
    if not claimed:
        return False
    queue = Queue.objects.get(pk=queue_id)
    end = _bucket(queue, now)
    if queue.history_counted_until is None:
        start = planning.local_midnight(
            end.astimezone(planning.tz()).date() - timedelta(days=planning.HISTORY_DAYS)
        )
    else:
        start = _bucket(queue, min(queue.history_counted_until, end) - HISTORY_RECOUNT)
    stop = min(end, start + HISTORY_CHUNK)
    if stop > start:
        _write_ticket_counts(queue, start, stop)
    Queue.objects.filter(pk=queue_id).update(
        history_counted_until=stop,
        **({"history_due_at": now} if stop < end else {}),
    )
    return True


def _bucket(queue: Queue, moment: datetime) -> datetime:
    local = moment.astimezone(planning.tz())
    minutes = (local.hour * 60 + local.minute) // queue.interval_minutes * queue.interval_minutes
    return local.replace(hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0)


def history_import_create(
    *, actor: User, queue_id: int, kind: str, filename: str, content: bytes | str
) -> HistoryImport:
    """Store an uploaded CSV and process it in the background (history_import_run_task) after commit."""
    queue = access_queue(user=actor, queue_id=queue_id, write=True)
    if kind not in ImportKind.values:
        raise DomainError(
            code=WorkforceErrorCode.BAD_IMPORT,
            message=_("Unknown import kind."),
            fields={"kind": [_("Unknown import kind.")]},
        )
    if isinstance(content, bytes):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("gb18030")
            except UnicodeDecodeError:
                raise DomainError(
                    code=WorkforceErrorCode.BAD_IMPORT,
                    message=_("The file is neither UTF-8 nor GB18030 text."),
                ) from None
    else:
        text = content
    lines = text.count("\n")
    if not text.strip():
        raise DomainError(
            code=WorkforceErrorCode.BAD_IMPORT,
            message=_("The file is empty."),
            fields={"file": [_("The file is empty.")]},
        )
    job = HistoryImport.objects.create(
        queue=queue,
        kind=kind,
        filename=filename[:255],
        payload=text,
        total_rows=max(0, lines),
        created_by=actor,
    )

    transaction.on_commit(lambda: history_import_run_task.enqueue(import_id=job.pk))
    return job


def _parse_time(value: str) -> datetime:
    value = value.strip()
    for fmt in (
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y/%m/%d %H:%M",
    ):
        try:
            naive = datetime.strptime(value, fmt)
            return naive.replace(tzinfo=planning.tz())
        except ValueError:
            continue
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=planning.tz())


def _rows(text: str) -> tuple[list[str], Any]:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    return header, reader


def history_import_run(*, import_id: int) -> HistoryImport:
    """Parse the stored file into interval history; idempotent (a finished import is not run again).

    Interval counts: columns ``start`` (local time) or ``date`` + ``time``/``interval_start``, ``calls``, optional
    ``aht`` (seconds) or ``handle_seconds``. Per-call logs: ``arrived_at`` and ``handle_seconds``, or the bank format
    (``date`` YYMMDD, ``vru_entry``, ``outcome``, ``ser_time``). Bad rows are counted and the first 50 reported
    with their line number; good rows are imported.
    """
    claimed = HistoryImport.objects.filter(pk=import_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING
    )
    job = HistoryImport.objects.select_related("queue").get(pk=import_id)
    if not claimed:
        return job
    queue = job.queue
    header, reader = _rows(job.payload)
    errors: list[dict[str, Any]] = []
    error_count = 0
    buckets: dict[datetime, list[float]] = defaultdict(lambda: [0.0, 0.0])
    done = 0

    def fail(line: int, message: str) -> None:
        nonlocal error_count
        error_count += 1
        if len(errors) < MAX_IMPORT_ERRORS:
            errors.append({"line": line, "message": message})

    col = {name: i for i, name in enumerate(header)}
    bank = "vru_entry" in col and "ser_time" in col
    try:
        if job.kind == ImportKind.COUNTS and "calls" not in col:
            raise ValueError(_("The file needs a column named calls."))
        if job.kind == ImportKind.COUNTS and "start" not in col and "date" not in col:
            raise ValueError(_("The file needs a column start (or date and time)."))
        if job.kind == ImportKind.CALLS and not bank and "arrived_at" not in col:
            raise ValueError(_("The file needs a column arrived_at (or the bank call-log columns)."))
    except ValueError as exc:
        HistoryImport.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            errors=[{"line": 1, "message": str(exc)}],
            error_count=1,
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        return job
    for line_no, row in enumerate(reader, start=2):
        done += 1
        if not row or all(not c.strip() for c in row):
            continue
        try:
            if job.kind == ImportKind.COUNTS:
                start = (
                    _parse_time(row[col["start"]])
                    if "start" in col
                    else _parse_time(
                        f"{row[col['date']]} {row[col.get('time', col.get('interval_start', -1))]}"
                    )
                )
                calls = float(row[col["calls"]])
                if not np.isfinite(calls) or calls < 0:
                    raise ValueError(_("calls must be a non-negative number"))
                if "handle_seconds" in col:
                    handle = float(row[col["handle_seconds"]])
                elif "aht" in col:
                    handle = float(row[col["aht"]]) * calls
                else:
                    handle = calls * queue.default_aht
                b = buckets[_bucket(queue, start)]
                b[0] += calls
                b[1] += handle
            elif bank:
                if row[col["outcome"]].strip() == "PHANTOM":
                    continue
                d = row[col["date"]].strip()
                start = (
                    _parse_time(f"20{d[:2]}-{d[2:4]}-{d[4:6]} {row[col['vru_entry']].strip()}")
                    if int(d[:2]) < 70
                    else _parse_time(f"19{d[:2]}-{d[2:4]}-{d[4:6]} {row[col['vru_entry']].strip()}")
                )
                if row[col["q_start"]].strip() in ("0:00:00", ""):
                    continue  # served by the voice menu alone: never reached an agent's queue
                b = buckets[_bucket(queue, start)]
                b[0] += 1
                b[1] += float(row[col["ser_time"]])
            else:
                start = _parse_time(row[col["arrived_at"]])
                handle = float(row[col["handle_seconds"]]) if "handle_seconds" in col else queue.default_aht
                if handle < 0:
                    raise ValueError(_("handle_seconds must not be negative"))
                b = buckets[_bucket(queue, start)]
                b[0] += 1
                b[1] += handle
        except (ValueError, IndexError, KeyError) as exc:
            fail(
                line_no,
                _("line %(line)d: %(error)s") % {"line": line_no, "error": exc or _("cannot read this row")},
            )
        if done % PROGRESS_EVERY == 0:
            HistoryImport.objects.filter(pk=job.pk).update(done_rows=done)
    with transaction.atomic():
        written = _upsert_volumes(queue, dict(buckets), HistorySource.IMPORT)
        HistoryImport.objects.filter(pk=job.pk).update(
            status=ImportStatus.DONE if written or not error_count else ImportStatus.FAILED,
            done_rows=done,
            total_rows=done,
            imported_rows=written,
            error_count=error_count,
            errors=errors,
            payload="",
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job


# ---------------------------------------------------------------- forecasts


def _monday(week_start: date) -> date:
    if week_start.weekday() != 0:
        raise DomainError(
            code=WorkforceErrorCode.NOT_MONDAY,
            message=_("A planning week starts on a Monday."),
            fields={"week_start": [_("A planning week starts on a Monday.")]},
        )
    return week_start


def forecast_create(*, actor: User, queue_id: int, week_start: date, method: str | None = None) -> Forecast:
    """Forecast the week (contacts and AHT per interval) from up to 16 weeks of history before it, then the
    required agents (queue goals) and scheduled heads (shrinkage). The method is the queue's, or chosen by a
    rolling-origin backtest when it is "auto"."""
    queue = access_queue(user=actor, queue_id=queue_id, write=True)
    _monday(week_start)
    last = week_start - timedelta(days=1)
    first = last - timedelta(days=planning.HISTORY_DAYS - 1)
    dates, calls, handle = planning.history_matrix(queue, first, last)
    nonzero = np.flatnonzero(calls.sum(axis=1) > 0)
    if nonzero.size == 0:
        raise DomainError(
            code=WorkforceErrorCode.NO_HISTORY,
            message=_("There is no history before this week: import some first."),
        )
    dates, calls, handle = dates[nonzero[0] :], calls[nonzero[0] :], handle[nonzero[0] :]
    kinds = planning.kinds_for(queue, dates[0], week_start + timedelta(days=6))
    wanted = method or queue.forecast_method
    scores: dict[str, float] = {}
    if wanted == ForecastMethod.AUTO:
        chosen = fc.choose_method(calls, dates, kinds=kinds)
        wanted, scores = chosen.method.value, chosen.wape
    week_calls, week_aht = [], []
    for k in range(7):
        target = week_start + timedelta(days=k)
        week_calls.append(fc.forecast_day(wanted, calls, dates, target, kinds=kinds))
        week_aht.append(fc.aht_forecast(calls, handle, dates, target, default_aht=queue.default_aht))
    c = np.vstack(week_calls)
    a = np.vstack(week_aht)
    agents, heads = planning.requirement(queue, c, a)
    return Forecast.objects.create(
        queue=queue,
        week_start=week_start,
        method=wanted,
        # A backtest over days without contacts has no WAPE (0/0): NaN is not JSON, so it is left out.
        backtest_wape={k: round(v, 4) for k, v in scores.items() if np.isfinite(v)},
        calls=np.round(c, 3).reshape(-1).tolist(),
        aht=np.round(a, 1).reshape(-1).tolist(),
        agents=agents.reshape(-1).tolist(),
        heads=heads.reshape(-1).tolist(),
        goals={"service_level": queue.service_level, "service_time": queue.service_time, "shrinkage": queue.shrinkage,
               "model": queue.staffing_model, "interval_minutes": queue.interval_minutes},
        created_by=actor,
    )  # fmt: skip


# ---------------------------------------------------------------- schedules


def _agents_for(queue: Queue) -> list[User]:
    qs = (
        User.objects.filter(is_active=True, role__in=["agent", "team_lead"])
        .prefetch_related("skills")
        .order_by("id")
    )
    if queue.team_id:
        qs = qs.filter(team_id=queue.team_id)
    return list(qs)


def _leave_days(agent_ids: list[int], week_start: date) -> dict[int, set[int]]:
    """Days (0..6) of the week on which an agent has approved leave of half a day or more."""
    start = planning.local_midnight(week_start)
    end = start + timedelta(days=7)
    out: dict[int, set[int]] = defaultdict(set)
    for lv in LeaveRequest.objects.filter(
        agent_id__in=agent_ids, status=LeaveStatus.APPROVED, start__lt=end, end__gt=start
    ):
        for k in range(7):
            d0 = planning.local_midnight(week_start + timedelta(days=k))
            overlap = min(lv.end, d0 + timedelta(days=1)) - max(lv.start, d0)
            if overlap >= timedelta(hours=4):
                out[lv.agent_id].add(k)
    return out


def schedule_create(*, actor: User, forecast_id: int, time_limit: float = 10.0) -> Schedule:
    """Build a draft schedule for the forecast's week: solve the tours (HiGHS), then give them to the queue's
    agents (skills, approved leave, preferences); tours nobody can take stay open. Records the LP bound and gap."""
    require_planner(actor, write=True)
    forecast = Forecast.objects.select_related("queue").filter(pk=forecast_id).first()
    if forecast is None:
        raise NotFound(code=WorkforceErrorCode.NO_FORECAST, message=_("No such forecast."))
    queue = forecast.queue
    spd = queue.slots_per_day
    req = np.asarray(forecast.heads, dtype=float).reshape(7, spd)
    template = planning.template_of(queue)
    try:
        result = solve_tours(req, [template], planning.rules_of(queue), time_limit=time_limit)
    except ValueError as exc:
        raise DomainError(
            code=WorkforceErrorCode.INFEASIBLE, message=_("No schedule fits: %(why)s") % {"why": exc}
        ) from None
    agents = _agents_for(queue)
    leave = _leave_days([a.pk for a in agents], forecast.week_start)
    skill = {queue.skill.name} if queue.skill_id and queue.skill else set()
    specs = [
        AgentSpec(
            key=a.pk,
            skills=frozenset(s.name for s in a.skills.all()),
            unavailable=frozenset(leave.get(a.pk, set())),
        )
        for a in agents
    ]
    assignments = assign_agents(
        result, [template], specs, required_skills=frozenset(skill), slots_per_day=spd
    )
    slot = timedelta(minutes=queue.interval_minutes)
    hours = 24.0 / spd
    with transaction.atomic():
        schedule = Schedule.objects.create(
            queue=queue,
            week_start=forecast.week_start,
            forecast=forecast,
            objective_hours=result.objective * hours,
            lp_bound_hours=result.lp_bound * hours,
            gap=result.gap,
            solver_status=result.status,
            solve_seconds=result.seconds,
            settings_snapshot={"template": template.__dict__, "rules": planning.rules_of(queue).__dict__},
            created_by=actor,
        )
        shifts = []
        for n, asg in enumerate(assignments):
            for d, works in enumerate(asg.tour.pattern):
                if not works:
                    continue
                day = forecast.week_start + timedelta(days=d)
                start = planning.local_midnight(day) + asg.tour.start * slot
                off = asg.break_offsets[d]
                shifts.append(
                    Shift(
                        schedule=schedule, agent_id=asg.agent, tour=n, day=day, start=start, end=start + template.length * slot,
                        break_start=start + off * slot if off is not None else None,
                        break_end=start + (off + template.break_length) * slot if off is not None else None,
                    )
                )  # fmt: skip
        Shift.objects.bulk_create(shifts, batch_size=1000)
    return schedule


def schedule_publish(*, actor: User, schedule_id: int) -> Schedule:
    """Publish a draft: agents see it as their schedule. A schedule published earlier for the same queue and week
    goes back to draft (superseded). Locks the schedule row."""
    with transaction.atomic():
        schedule = access_schedule(user=actor, schedule_id=schedule_id, write=True, for_update=True)
        if schedule.status == ScheduleStatus.PUBLISHED:
            raise Conflict(
                code=WorkforceErrorCode.ALREADY_PUBLISHED, message=_("This schedule is already published.")
            )
        Schedule.objects.filter(
            queue=schedule.queue, week_start=schedule.week_start, status=ScheduleStatus.PUBLISHED
        ).update(status=ScheduleStatus.DRAFT)
        schedule.status = ScheduleStatus.PUBLISHED
        schedule.published_at = timezone.now()
        schedule.published_by = actor
        try:
            with transaction.atomic():
                schedule.save(update_fields=["status", "published_at", "published_by"])
        except IntegrityError:
            raise Conflict(
                code=WorkforceErrorCode.ALREADY_PUBLISHED,
                message=_("Another schedule was published meanwhile."),
            ) from None
    return schedule


# ---------------------------------------------------------------- leave


def _leave_error(code: WorkforceErrorCode, message: Any, field: str = "__all__") -> DomainError:
    return DomainError(code=code, message=message, fields={field: [str(message)]})


def leave_request_create(*, actor: User, start: datetime, end: datetime, reason: str) -> LeaveRequest:
    """An agent asks for leave for themselves. No overlap with their pending or approved leave; at most 31 days."""
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise _leave_error(WorkforceErrorCode.LEAVE_INVALID, _("Times need a time zone."))
    if end <= start:
        raise _leave_error(WorkforceErrorCode.LEAVE_INVALID, _("The leave must end after it starts."), "end")
    if end - start > timedelta(days=MAX_LEAVE_DAYS):
        raise _leave_error(
            WorkforceErrorCode.LEAVE_INVALID, _("Leave is limited to 31 days per request."), "end"
        )
    reason = reason.strip()
    if not reason:
        raise _leave_error(WorkforceErrorCode.LEAVE_INVALID, _("Give a reason."), "reason")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()  # serialise one agent's requests
        if LeaveRequest.objects.filter(
            agent=actor, status__in=[LeaveStatus.PENDING, LeaveStatus.APPROVED], start__lt=end, end__gt=start
        ).exists():
            raise _leave_error(
                WorkforceErrorCode.LEAVE_OVERLAP, _("You already asked for leave in this time.")
            )
        return LeaveRequest.objects.create(agent=actor, start=start, end=end, reason=reason[:200])


def leave_decide(*, actor: User, leave_id: int, approve: bool, note: str = "") -> LeaveRequest:
    """Approve or reject a pending request. Up to half a day: the agent's team lead or a manager; longer: the
    center manager. Approved leave removes the agent from the affected intervals (coverage is computed net of it)."""
    with transaction.atomic():
        leave = (
            LeaveRequest.objects.select_for_update(of=("self",))
            .select_related("agent")
            .filter(pk=leave_id)
            .first()
        )
        if leave is None or not (actor.is_supervising or actor.role == "team_lead"):
            raise NotFound(code=WorkforceErrorCode.NOT_FOUND, message=_("No such leave request."))
        hours = leave.duration.total_seconds() / 3600
        if not may_decide_leave(actor, agent=leave.agent, hours=hours):
            if (
                actor.role == "team_lead"
                and actor.team_id == leave.agent.team_id
                and actor.pk != leave.agent_id
            ):
                raise Forbidden(
                    code=WorkforceErrorCode.LEAVE_NEEDS_MANAGER,
                    message=_("Leave longer than half a day is approved by the center manager."),
                )
            raise Forbidden(code=WorkforceErrorCode.FORBIDDEN, message=_("You may not decide this request."))
        if leave.status != LeaveStatus.PENDING:
            raise Conflict(
                code=WorkforceErrorCode.LEAVE_NOT_PENDING, message=_("This request was already decided.")
            )
        leave.status = LeaveStatus.APPROVED if approve else LeaveStatus.REJECTED
        leave.decided_by = actor
        leave.decided_at = timezone.now()
        leave.decision_note = note.strip()[:200]
        leave.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return leave


def leave_cancel(*, actor: User, leave_id: int) -> LeaveRequest:
    """The agent withdraws their own pending or approved request."""
    with transaction.atomic():
        leave = LeaveRequest.objects.select_for_update().filter(pk=leave_id, agent=actor).first()
        if leave is None:
            raise NotFound(code=WorkforceErrorCode.NOT_FOUND, message=_("No such leave request."))
        if leave.status not in (LeaveStatus.PENDING, LeaveStatus.APPROVED):
            raise Conflict(
                code=WorkforceErrorCode.LEAVE_NOT_PENDING, message=_("This request was already decided.")
            )
        leave.status = LeaveStatus.CANCELLED
        leave.save(update_fields=["status"])
    return leave


__all__ = [
    "forecast_create",
    "history_import_create",
    "history_import_run",
    "history_refresh_due",
    "history_refresh_from_tickets",
    "leave_cancel",
    "leave_decide",
    "leave_request_create",
    "queue_create",
    "queue_update",
    "schedule_create",
    "schedule_publish",
]

@task()
def history_import_run_task(*, import_id: int) -> None:
    history_import_run(import_id=import_id)
