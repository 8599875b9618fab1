"""Writes: defining packs and schedules, building a pack for a period (stored as a ReportRun with both
files), sending it by mail and group robots, and the clock's scheduled run (once per period)."""

from __future__ import annotations

import logging
import time as _time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.core.errors import DomainError
from kefu.performance.metrics import METRICS
from kefu.performance.periods import TZ, Period
from kefu.reports import robots
from kefu.reports.access import require_define
from kefu.reports.build import build, last_complete
from kefu.reports.choices import PeriodKind, RobotKind, RunStatus, Section
from kefu.reports.errors import ReportErrorCode as E
from kefu.reports.excel import render_xlsx
from kefu.reports.models import ReportPack, ReportRun, ReportSchedule
from kefu.reports.pdf import render_pdf

logger = logging.getLogger("kefu.reports")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A failed send (mail or robot) is tried again by the clock: at most SEND_ATTEMPTS sends in all, the
# n-th retry RETRY_SECONDS[n-1] after the failure (the last value repeats). Settings may override.
SEND_ATTEMPTS = 4
RETRY_SECONDS = (300, 1800, 7200)


def send_attempts() -> int:
    return max(1, int(getattr(settings, "KEFU_REPORT_SEND_ATTEMPTS", SEND_ATTEMPTS)))


def retry_delay(attempts: int) -> timedelta:
    """How long after the `attempts`-th failed send the next one is tried."""
    steps = tuple(getattr(settings, "KEFU_REPORT_RETRY_SECONDS", RETRY_SECONDS)) or RETRY_SECONDS
    return timedelta(seconds=int(steps[min(attempts, len(steps)) - 1]))


def _bad(field: str, message: str) -> DomainError:
    return DomainError(code=E.BAD_PACK, message=message, fields={field: [message]}, status=422)


# --- packs and schedules ------------------------------------------------------------------------------


def pack_create(
    *, actor: User, name: str, period_kind: str, sections: list[str] | None = None, metrics: list[str] | None = None,
    team_id: int | None = None,
) -> ReportPack:
    """A new pack owned by `actor` (it is built with the owner's visibility)."""
    require_define(actor, team_id)
    name = (name or "").strip()
    if not name:
        raise _bad("name", _("Give the pack a name."))
    if period_kind not in PeriodKind.values:
        raise _bad("period_kind", _("Unknown kind of period."))
    sections = list(sections or Section.values)
    if unknown := [s for s in sections if s not in Section.values]:
        raise _bad("sections", _("Unknown section: %(s)s.") % {"s": ", ".join(unknown)})
    metrics = list(metrics or [])
    if unknown := [m for m in metrics if m not in METRICS]:
        raise _bad("metrics", _("Unknown metric: %(m)s.") % {"m": ", ".join(unknown)})
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise _bad("team_id", _("No such team."))
    with transaction.atomic():
        if ReportPack.objects.filter(name=name).exists():
            raise _bad("name", _("A pack of this name exists."))
        return ReportPack.objects.create(
            name=name, period_kind=period_kind, sections=sections, metrics=metrics, team_id=team_id, owner=actor,
        )


def next_due(schedule: ReportSchedule, kind: str, after: datetime) -> datetime:
    """The first local moment after `after` at which the schedule fires: daily at the time; weekly on
    the weekday; monthly on the day of month; quarterly/annual on that day of the period's first month."""
    local = after.astimezone(TZ)
    day = local.date()
    for _i in range(400):
        if kind == PeriodKind.DAY:
            ok = True
        elif kind == PeriodKind.WEEK:
            ok = day.weekday() == schedule.weekday
        else:
            months = {PeriodKind.MONTH: range(1, 13), PeriodKind.QUARTER: (1, 4, 7, 10), PeriodKind.YEAR: (1,)}[PeriodKind(kind)]
            ok = day.day == schedule.day_of_month and day.month in months
        moment = datetime.combine(day, schedule.at_time, TZ)
        if ok and moment > local:
            return moment
        day += timedelta(days=1)
    raise DomainError(code=E.BAD_SCHEDULE, message=_("The schedule never fires."))


def schedule_create(
    *, actor: User, pack_id: int, weekday: int = 0, day_of_month: int = 1, at_time: Any = None, emails: str = "",
    robot_kind: str = "", robot_url: str = "", robot_secret: str = "", attach_files: bool = True, now: datetime | None = None,
) -> ReportSchedule:
    with transaction.atomic():
        pack = ReportPack.objects.select_for_update().get(pk=pack_id)
        require_define(actor, pack.team_id)
        if not 0 <= weekday <= 6:
            raise DomainError(code=E.BAD_SCHEDULE, message=_("A weekday is 0 (Monday) to 6."), fields={"weekday": [_("0 to 6.")]}, status=422)
        if not 1 <= day_of_month <= 28:
            raise DomainError(code=E.BAD_SCHEDULE, message=_("A day of month is 1 to 28."), fields={"day_of_month": [_("1 to 28.")]}, status=422)
        if robot_kind not in RobotKind.values:
            raise DomainError(code=E.BAD_SCHEDULE, message=_("Unknown robot."), fields={"robot_kind": [_("Unknown robot.")]}, status=422)
        if robot_kind and not robot_url.startswith(("https://", "http://")):
            raise DomainError(code=E.BAD_SCHEDULE, message=_("Give the robot's webhook address."), fields={"robot_url": [_("A URL.")]}, status=422)
        schedule = ReportSchedule(
            pack=pack, weekday=weekday, day_of_month=day_of_month, emails=emails, robot_kind=robot_kind,
            robot_url=robot_url, robot_secret=robot_secret, attach_files=attach_files,
        )
        if at_time is not None:
            schedule.at_time = at_time
        schedule.due_at = next_due(schedule, pack.period_kind, now or timezone.now())
        schedule.save()
    return schedule


# --- building -----------------------------------------------------------------------------------------


def render(data: dict[str, Any]) -> tuple[bytes, bytes]:
    return render_xlsx(data), render_pdf(data)


def _new_run(pack: ReportPack, period: Period, *, schedule: ReportSchedule | None, actor: User | None) -> ReportRun:
    t0 = _time.perf_counter()
    data = build(pack=pack, period=period).as_dict()
    xlsx, pdf = render(data)
    return ReportRun(
        pack=pack, schedule=schedule, period_key=period.key, data=data, xlsx=xlsx, pdf=pdf,
        built_at=timezone.now(), built_by=actor, build_seconds=round(_time.perf_counter() - t0, 3),
    )


def run_build(*, actor: User, pack_id: int, period: Period) -> ReportRun:
    """Build the pack for `period` now and store it (a manual build; it may be built again)."""
    pack = ReportPack.objects.select_related("owner", "team").get(pk=pack_id)
    require_define(actor, pack.team_id)
    if period.kind != pack.period_kind:
        raise DomainError(code=E.BAD_PERIOD, message=_("This pack is built for periods of another kind."), status=422)
    run = _new_run(pack, period, schedule=None, actor=actor)
    with transaction.atomic():
        run.save()
    return run


# --- delivery -----------------------------------------------------------------------------------------


def run_link(run: ReportRun, fmt: str = "xlsx") -> str:
    base = str(getattr(settings, "KEFU_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return base + reverse("reports:download", args=[run.pk, fmt])


def file_name(run: ReportRun, fmt: str) -> str:
    return f"{run.pack.name}-{run.period_key}.{fmt}"


def summary_markdown(run: ReportRun) -> str:
    """The robot's message: the pack, the period, the headline indicators and the links."""
    data = run.data
    lines = [f"### {data['pack']}", f"{_('Period')}: {data['period_label']}　{_('Scope')}: {data['scope']}", ""]
    ind = next((s for s in data["sections"] if s["key"] == Section.INDICATORS), None)
    if ind:
        units = ind.get("row_units") or []
        for i, row in enumerate(ind["rows"][:6]):
            unit = {"percent": "%", "per_mille": "‰", "minutes": _(" min")}.get(units[i] if i < len(units) else "", "")
            value = "—" if row[1] is None else f"{row[1]}{unit}"
            change = "" if row[3] is None else f"（{row[3]:+}）"
            lines.append(f"> {row[0]}: **{value}**{change}")
        lines.append("")
    lines.append(f"[{_('Download Excel')}]({run_link(run, 'xlsx')})　[{_('Download PDF')}]({run_link(run, 'pdf')})")
    return "\n".join(lines)


def deliver(run: ReportRun, schedule: ReportSchedule, only: set[str] | None = None) -> dict[str, str]:
    """Send one built pack to one schedule's recipients (only the channels in `only`, when given:
    a retry sends again what failed, not what arrived). Returns channel -> "ok" or the error; a
    failing channel does not stop the others."""
    out: dict[str, str] = {}
    title = f"{run.data['pack']} {run.data['period_label']}"
    if schedule.email_list and (only is None or "email" in only):
        try:
            body = "\n".join([
                title, "", _("The report pack is attached (Excel and PDF) and can be downloaded here:"),
                run_link(run, "xlsx"), run_link(run, "pdf"),
            ])
            msg = EmailMessage(subject=title, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=schedule.email_list)
            if schedule.attach_files:
                msg.attach(file_name(run, "xlsx"), bytes(run.xlsx), XLSX_TYPE)
                msg.attach(file_name(run, "pdf"), bytes(run.pdf), "application/pdf")
            msg.send()
            out["email"] = "ok"
        except Exception as exc:  # an SMTP failure is recorded, not raised: the robots still go out
            logger.exception("reports: mail of run %s failed", run.pk)
            out["email"] = str(exc)[:300] or exc.__class__.__name__
    if schedule.robot_kind and (only is None or schedule.robot_kind in only):
        try:
            text = summary_markdown(run)
            if schedule.robot_kind == RobotKind.WECOM:
                robots.wecom_markdown(schedule.robot_url, text)
                if schedule.attach_files:
                    robots.wecom_file(schedule.robot_url, file_name(run, "xlsx"), bytes(run.xlsx))
            else:
                robots.dingtalk_markdown(schedule.robot_url, schedule.robot_secret, title, text)
            out[schedule.robot_kind] = "ok"
        except Exception as exc:
            logger.exception("reports: %s robot of run %s failed", schedule.robot_kind, run.pk)
            out[schedule.robot_kind] = str(exc)[:300] or exc.__class__.__name__
    return out


def _status(results: dict[str, str]) -> str:
    if not results:
        return RunStatus.BUILT
    ok = sum(1 for v in results.values() if v == "ok")
    return RunStatus.SENT if ok == len(results) else (RunStatus.FAILED if ok == 0 else RunStatus.PARTLY)


def run_send(*, actor: User, run_id: int) -> ReportRun:
    """Send a built pack now to the recipients of every active schedule of its pack."""
    run = ReportRun.objects.select_related("pack").get(pk=run_id)
    require_define(actor, run.pack.team_id)
    schedules = list(run.pack.schedules.filter(is_active=True))
    if not schedules:
        raise DomainError(code=E.DELIVERY_FAILED, message=_("The pack has no schedule with recipients."), status=409)
    results: dict[str, str] = {}
    for s in schedules:
        for channel, result in deliver(run, s).items():
            results[f"{channel}#{s.pk}"] = result
    _record(run.pk, results, attempts=1, now=timezone.now())
    run.refresh_from_db(fields=["status", "delivery", "attempts", "last_error", "retry_at"])
    return run


def _record(run_id: int, results: dict[str, str], *, attempts: int, now: datetime) -> None:
    """Store how a send went: the status, each channel's result, the attempt count, the last error,
    and when the clock tries the failed channels again (none after the last allowed attempt)."""
    failed = {k: v for k, v in results.items() if v != "ok"}
    last_error = "; ".join(f"{k}: {v}" for k, v in failed.items())[:1000]
    retry_at = now + retry_delay(attempts) if failed and attempts < send_attempts() else None
    ReportRun.objects.filter(pk=run_id).update(
        status=_status(results), delivery=results, attempts=attempts if results else 0, last_error=last_error, retry_at=retry_at,
    )


def run_retry(*, run_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock's retry of a failed send: claim the run (conditional update on retry_at; of several
    clocks one wins), send again only the channels that failed (to the schedule that named them;
    a channel since removed from its schedule is dropped), and record the attempt. After
    `send_attempts()` sends in all the run stays failed (or partly sent) with its last error."""
    now = now or timezone.now()
    if not ReportRun.objects.filter(pk=run_id, retry_at=due_at).update(retry_at=None):
        return False
    run = ReportRun.objects.select_related("pack", "schedule").get(pk=run_id)
    results = dict(run.delivery)
    for key, value in run.delivery.items():
        if value == "ok":
            continue
        channel, _sep, sid = key.partition("#")
        schedule = ReportSchedule.objects.filter(pk=int(sid)).first() if sid.isdigit() else run.schedule
        again = deliver(run, schedule, only={channel}) if schedule is not None and schedule.is_active else {}
        if channel in again:
            results[key] = again[channel]
        else:
            del results[key]  # the schedule or its channel is gone: nothing to send to
    _record(run.pk, results, attempts=run.attempts + 1, now=now)
    return True


# --- the clock ----------------------------------------------------------------------------------------


def scheduled_period(schedule: ReportSchedule, due_at: datetime) -> Period:
    """The period a firing sends: the last whole one before the local day it was due."""
    return last_complete(schedule.pack.period_kind, due_at.astimezone(TZ).date())


def schedule_tick(*, schedule_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock's job: claim the due schedule (conditional update; of several clocks one wins), build
    the pack for the period just ended and send it. A period already built for this schedule (a second
    clock, a re-run) is neither built nor sent again: the run's unique key decides."""
    now = now or timezone.now()
    schedule = ReportSchedule.objects.select_related("pack", "pack__owner", "pack__team").filter(pk=schedule_id).first()
    if schedule is None:
        return False
    nxt = next_due(schedule, schedule.pack.period_kind, max(now, due_at))
    claimed = ReportSchedule.objects.filter(pk=schedule_id, due_at=due_at).update(due_at=nxt, last_run_at=now)
    if not claimed:
        return False
    if not (schedule.is_active and schedule.pack.is_active):
        return True
    period = scheduled_period(schedule, due_at)
    if ReportRun.objects.filter(schedule=schedule, period_key=period.key).exists():
        return True
    run = _new_run(schedule.pack, period, schedule=schedule, actor=None)
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        return True  # another clock built this period first
    _record(run.pk, deliver(run, schedule), attempts=1, now=now)
    return True
