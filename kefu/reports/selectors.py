"""Reads of packs, schedules and built runs, visibility built in (access.packs_q)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.errors import DomainError, NotFound
from kefu.performance.periods import TZ, Period, PeriodError
from kefu.reports.access import packs_q
from kefu.reports.build import last_complete
from kefu.reports.errors import ReportErrorCode as E
from kefu.reports.models import ReportPack, ReportRun

RUN_LIST_FIELDS = ("id", "pack_id", "schedule_id", "period_key", "status", "delivery", "built_at", "build_seconds")


def packs_visible_to(user: User) -> QuerySet[ReportPack]:
    return ReportPack.objects.filter(packs_q(user)).select_related("team", "owner").prefetch_related("schedules").order_by("id")


def pack_get(*, user: User, pack_id: int) -> ReportPack:
    pack = packs_visible_to(user).filter(pk=pack_id).first()
    if pack is None:
        raise NotFound(code=E.NOT_FOUND, message=_("No such report pack."))
    return pack


def runs_of(*, user: User, pack_id: int | None = None, limit: int = 50) -> list[ReportRun]:
    """Built packs, newest first, without their files."""
    qs = ReportRun.objects.filter(pack__in=packs_visible_to(user)).only(*RUN_LIST_FIELDS).select_related("pack")
    if pack_id is not None:
        qs = qs.filter(pack_id=pack_id)
    return list(qs.order_by("-built_at", "-id")[:limit])


def run_get(*, user: User, run_id: int) -> ReportRun:
    run = ReportRun.objects.filter(pk=run_id, pack__in=packs_visible_to(user)).select_related("pack").first()
    if run is None:
        raise NotFound(code=E.NOT_FOUND, message=_("No such built report pack."))
    return run


def pack_period(pack: ReportPack, text: str | None) -> Period:
    """The period a pack is built for: the text (2026-W45, 2026-11 …), which must be of the pack's
    kind; none = the last whole period."""
    if not text:
        return last_complete(pack.period_kind, timezone.now().astimezone(TZ).date())
    try:
        period = Period.parse(text)
    except PeriodError as exc:
        raise DomainError(code=E.BAD_PERIOD, message=_("The period could not be read (e.g. 2026-10, 2026-W41, 2026-Q4)."),
                          fields={"period": [_("Not a period.")]}, status=422) from exc
    if period.kind != pack.period_kind:
        raise DomainError(code=E.BAD_PERIOD, message=_("This pack is built for periods of another kind."),
                          fields={"period": [_("Wrong kind of period.")]}, status=422)
    return period
