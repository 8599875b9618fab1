"""Writes for budget lines (预算): lines per year and cost kind, commitments and actuals, the 80% alert,
reallocations with their audit trail, training/project records.

Money is `Decimal` yuan with two places (as requisition amounts). Every posting locks the line row
(`select_for_update`), moves its `committed`/`actual` totals with one ledger row, and then checks the
thresholds: passing 80% (and 100%) of plan raises an `OpsAlert` keyed `budget:<line>:<threshold>`.
The lock serialises concurrent postings on a line, and the unique key backs it up, so an alert can
never fire twice for one line and threshold — also when two postings cross it at the same moment.
Once fired it stays fired: a later reallocation that lowers the share and a posting that passes the
line again do not alert a second time.

Materials requisitions are commitments of the year's materials line (the first one by name): an
approval commits the amount, the issue turns it into an actual, a return refunds it
(kefu/operations/stock.py calls these in the requisition's own transaction).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.core.errors import DomainError, NotFound
from kefu.operations.access import require_manager
from kefu.operations.choices import AlertKind, BudgetEntryKind, CostKind
from kefu.operations.equipment import alert_raise
from kefu.operations.errors import OperationsErrorCode as E
from kefu.operations.models import BudgetEntry, BudgetLine, BudgetProject, BudgetReallocation, Requisition

THRESHOLDS = (80, 100)  # percent of plan
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")


def _invalid(name: str, message: str) -> DomainError:
    return DomainError(code=E.INVALID_INPUT, message=message, fields={name: [message]}, status=422)


def _money(name: str, value: Decimal, *, positive: bool = True) -> Decimal:
    if not value.is_finite() or abs(value) > MAX_AMOUNT or (positive and value <= 0):
        raise _invalid(name, _("Give an amount in yuan above 0."))
    if value != value.quantize(CENT):
        raise _invalid(name, _("An amount has at most two decimal places."))
    return value.quantize(CENT)


def _line(line_id: int) -> BudgetLine:
    line = BudgetLine.objects.select_for_update().filter(pk=line_id).first()
    if line is None:
        raise NotFound(code=E.BUDGET_LINE_NOT_FOUND, message=_("Budget line not found."))
    return line


def line_create(*, actor: User, year: int, cost_kind: str, plan: Decimal, name: str = "", now: datetime | None = None) -> BudgetLine:
    """A budget line (managers): one per year, cost kind and name."""
    require_manager(actor)
    if not 2000 <= year <= 2999:
        raise _invalid("year", _("Give a year between 2000 and 2999."))
    if cost_kind not in CostKind.values:
        raise _invalid("cost_kind", _("Choose a cost kind."))
    plan = _money("plan", plan, positive=False)
    if plan < 0:
        raise _invalid("plan", _("A plan cannot be negative."))
    name = name.strip()[:100]
    if BudgetLine.objects.filter(year=year, cost_kind=cost_kind, name=name).exists():
        raise _invalid("name", _("This year already has a line of this kind and name."))
    return BudgetLine.objects.create(year=year, cost_kind=cost_kind, name=name, plan=plan, created_at=now or timezone.now())


def _check_thresholds(line: BudgetLine, now: datetime) -> None:
    """Alert for every threshold the line has passed (once per line and threshold)."""
    if line.plan <= 0:
        return
    share = line.used * 100 / line.plan
    for t in THRESHOLDS:
        if share >= t:
            alert_raise(
                kind=AlertKind.BUDGET, key=f"budget:{line.pk}:{t}",
                title=_("Budget %(line)s has passed %(t)s%% of plan") % {"line": str(line), "t": t},
                body=_("Used %(used)s of %(plan)s yuan (%(share)s%%): committed %(c)s, actual %(a)s.")
                % {"used": line.used, "plan": line.plan, "share": share.quantize(Decimal("0.1")), "c": line.committed, "a": line.actual},
                link=f"/operations/budget/{line.pk}/", now=now,
            )  # fmt: skip


def _post(
    line: BudgetLine, *, kind: str, amount: Decimal, actor: User | None, now: datetime, note: str = "",
    requisition: Requisition | None = None, project: BudgetProject | None = None, settles: BudgetEntry | None = None,
) -> BudgetEntry:
    """One ledger row on a locked line and its totals; then the thresholds."""
    entry = BudgetEntry.objects.create(
        line=line, kind=kind, amount=amount, requisition=requisition, project=project, settles=settles, note=note[:200],
        actor=actor, at=now,
    )  # fmt: skip
    if kind == BudgetEntryKind.COMMITMENT:
        line.committed += amount
    elif kind == BudgetEntryKind.RELEASE:
        line.committed -= amount
    else:
        line.actual += amount
    line.save(update_fields=["committed", "actual"])
    _check_thresholds(line, now)
    return entry


def _open_commitment(entry: BudgetEntry) -> Decimal:
    """What of a commitment has not been released yet."""
    released = sum((e.amount for e in BudgetEntry.objects.filter(settles=entry, kind=BudgetEntryKind.RELEASE)), Decimal(0))
    return entry.amount - released


def entry_post(
    *, actor: User, line_id: int, kind: str, amount: Decimal, note: str = "", project_id: int | None = None,
    settles_id: int | None = None, now: datetime | None = None,
) -> BudgetEntry:
    """A commitment (an order placed, a contract signed) or an actual (an invoice paid) on a line
    (managers). An actual may settle an open commitment of the line: the commitment is released
    (up to its open amount) in the same transaction. An actual may belong to a project of the line."""
    require_manager(actor)
    if kind not in (BudgetEntryKind.COMMITMENT, BudgetEntryKind.ACTUAL):
        raise _invalid("kind", _("Post a commitment or an actual."))
    amount = _money("amount", amount)
    if not note.strip():
        raise _invalid("note", _("Say what the money is for."))
    now = now or timezone.now()
    with transaction.atomic():
        line = _line(line_id)
        project = None
        if project_id is not None:
            project = BudgetProject.objects.filter(pk=project_id, line=line).first()
            if project is None:
                raise _invalid("project", _("Choose a project of this line."))
        settles = None
        if settles_id is not None:
            if kind != BudgetEntryKind.ACTUAL:
                raise _invalid("settles", _("Only an actual settles a commitment."))
            settles = BudgetEntry.objects.filter(pk=settles_id, line=line, kind=BudgetEntryKind.COMMITMENT).first()
            if settles is None:
                raise _invalid("settles", _("Choose an open commitment of this line."))
            still = _open_commitment(settles)
            if still <= 0:
                raise _invalid("settles", _("This commitment is settled already."))
            _post(line, kind=BudgetEntryKind.RELEASE, amount=min(still, amount), actor=actor, now=now, note=note, settles=settles)
        return _post(line, kind=kind, amount=amount, actor=actor, now=now, note=note.strip(), project=project)


def reallocate(
    *, actor: User, from_line_id: int, to_line_id: int, amount: Decimal, reason: str, now: datetime | None = None
) -> BudgetReallocation:
    """Move plan from one line to another of the same year (managers), with why. The giving line
    keeps at least what it has used; the year's plan total does not change. Both rows are locked in
    id order, so two crossing reallocations cannot deadlock."""
    require_manager(actor)
    amount = _money("amount", amount)
    if not reason.strip():
        raise _invalid("reason", _("Give the reason for the reallocation."))
    if from_line_id == to_line_id:
        raise _invalid("to_line", _("Choose two different lines."))
    now = now or timezone.now()
    with transaction.atomic():
        locked = {ln.pk: ln for ln in BudgetLine.objects.select_for_update().filter(pk__in=sorted([from_line_id, to_line_id])).order_by("pk")}
        if from_line_id not in locked or to_line_id not in locked:
            raise NotFound(code=E.BUDGET_LINE_NOT_FOUND, message=_("Budget line not found."))
        src, dst = locked[from_line_id], locked[to_line_id]
        if src.year != dst.year:
            raise _invalid("to_line", _("Reallocate between lines of the same year."))
        if src.plan - amount < src.used:
            msg = _("%(line)s has used %(used)s of its %(plan)s yuan: at most %(max)s can move.") % {
                "line": str(src), "used": src.used, "plan": src.plan, "max": max(src.plan - src.used, Decimal(0)),
            }
            raise DomainError(code=E.BUDGET_OVERDRAWN, message=msg, fields={"amount": [msg]}, status=422)
        row = BudgetReallocation(
            year=src.year, from_line=src, to_line=dst, amount=amount, reason=reason.strip()[:300],
            from_plan_before=src.plan, to_plan_before=dst.plan, from_plan_after=src.plan - amount,
            to_plan_after=dst.plan + amount, actor=actor, at=now,
        )  # fmt: skip
        src.plan -= amount
        dst.plan += amount
        src.save(update_fields=["plan"])
        dst.save(update_fields=["plan"])
        row.save()
        _check_thresholds(src, now)
    return row


def project_create(
    *, actor: User, line_id: int, name: str, started_on: date, ended_on: date, team_id: int | None = None,
    window_days: int = 30, now: datetime | None = None,
) -> BudgetProject:
    """A training or project on a line (managers), for the return view."""
    require_manager(actor)
    if not name.strip():
        raise _invalid("name", _("Name the project."))
    if ended_on < started_on:
        raise _invalid("ended_on", _("The end is before the start."))
    if not 1 <= window_days <= 366:
        raise _invalid("window_days", _("The window is 1 to 366 days."))
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise _invalid("team", _("Choose a team."))
    line = BudgetLine.objects.filter(pk=line_id).first()
    if line is None:
        raise _invalid("line", _("Choose a budget line."))
    return BudgetProject.objects.create(
        line=line, name=name.strip()[:100], team_id=team_id, started_on=started_on, ended_on=ended_on,
        window_days=window_days, created_at=now or timezone.now(),
    )  # fmt: skip


# --- materials requisitions as commitments -------------------------------------------------------------


def _materials_line(r: Requisition) -> BudgetLine | None:
    year = timezone.localdate(r.created_at).year
    first = BudgetLine.objects.filter(year=year, cost_kind=CostKind.MATERIALS).order_by("name", "id").values_list("pk", flat=True).first()
    return _line(first) if first is not None else None


def requisition_committed(*, requisition: Requisition, actor: User, now: datetime) -> BudgetEntry | None:
    """An approved requisition commits its amount on the year's materials line (if there is one)."""
    line = _materials_line(requisition)
    if line is None or requisition.amount <= 0:
        return None
    note = _("Requisition #%(n)s approved") % {"n": requisition.pk}
    return _post(line, kind=BudgetEntryKind.COMMITMENT, amount=requisition.amount, actor=actor, now=now, note=note, requisition=requisition)


def requisition_spent(*, requisition: Requisition, actor: User, now: datetime) -> BudgetEntry | None:
    """The issue: the requisition's commitment is released and its amount becomes an actual."""
    commitment = (
        BudgetEntry.objects.filter(requisition=requisition, kind=BudgetEntryKind.COMMITMENT).select_related("line").first()
    )
    if commitment is None:
        return None
    line = _line(commitment.line_id)
    note = _("Requisition #%(n)s issued") % {"n": requisition.pk}
    still = _open_commitment(commitment)
    if still > 0:
        _post(line, kind=BudgetEntryKind.RELEASE, amount=still, actor=actor, now=now, note=note, requisition=requisition, settles=commitment)
    return _post(line, kind=BudgetEntryKind.ACTUAL, amount=requisition.amount, actor=actor, now=now, note=note, requisition=requisition)


def requisition_refunded(*, requisition: Requisition, actor: User, now: datetime) -> BudgetEntry | None:
    """A return gives the actual back (a negative actual)."""
    spent = BudgetEntry.objects.filter(requisition=requisition, kind=BudgetEntryKind.ACTUAL, amount__gt=0).first()
    if spent is None:
        return None
    line = _line(spent.line_id)
    note = _("Requisition #%(n)s returned") % {"n": requisition.pk}
    return _post(line, kind=BudgetEntryKind.ACTUAL, amount=-spent.amount, actor=actor, now=now, note=note, requisition=requisition)
