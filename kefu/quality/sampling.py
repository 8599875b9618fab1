"""抽检: sampling plans and their draws.

A draw takes the contacts (closed tickets) of a period that match the plan's team and channel, adds
every contact a targeted rule catches (complaints, satisfaction ≤ 2, reopened, transferred twice or
more, flagged by the pre-screen), then the random share of each agent's contacts (at least one per
agent who had any, so every agent is covered evenly). It is deterministic given the seed: the
random picks of an agent come from `Random(f"{seed}:{agent}")` over their contacts in id order, so
re-drawing a period with the draw's seed picks the same contacts. A contact enters a plan once
(`quality_drawn_once_per_plan`). Each drawn item is given to the least-loaded inspector (never the
contact's own agent); a share of them goes to a second inspector too (double-blind)."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import Team, User
from kefu.chat.models import Conversation
from kefu.core.errors import Conflict, DomainError, NotFound
from kefu.quality.access import require_qa_lead
from kefu.quality.chat_items import capture_ended_chats, chat_capture_ensure, item_capture_chat
from kefu.quality.choices import TARGETED_RULES, ContactKind, DrawReason, InspectionLevel, PlanPeriod
from kefu.quality.errors import QualityErrorCode
from kefu.quality.events import EventKind, event
from kefu.quality.models import InspectionItem, PlanDraw, PlanEntry, SamplingPlan, Scorecard
from kefu.quality.review import assign, least_loaded
from kefu.quality.services import current_version, item_capture_ticket, month_bounds
from kefu.surveys.models import Survey
from kefu.tickets.choices import Channel, TicketKind, TicketStatus
from kefu.tickets.models import Ticket


def _share(value: Any, name: str) -> Decimal:
    try:
        share = Decimal(str(value))
    except (InvalidOperation, ValueError):
        share = Decimal(-1)
    if not Decimal(0) <= share <= Decimal(1):
        raise DomainError(
            code=QualityErrorCode.PLAN_INVALID, message=_("A share is between 0 and 1."),
            fields={name: [_("Give 0 to 1 (0.2 = 20%).")]},
        )
    return share.quantize(Decimal("0.001"))


def period_bounds(period: str, at: datetime) -> tuple[datetime, datetime]:
    """The local day or month that contains `at`."""
    local = timezone.localtime(at)
    if period == PlanPeriod.DAILY:
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)
    return month_bounds(local.year, local.month)


def next_draw_after(period: str, at: datetime) -> datetime:
    """The clock draws a period just after it ends (a minute past local midnight)."""
    return period_bounds(period, at)[1] + timedelta(minutes=1)


@transaction.atomic
def plan_save(
    *, actor: User, plan_id: int | None = None, name: str, scorecard_id: int, team_id: int | None = None,
    channel: str = "", period: str = PlanPeriod.MONTHLY, random_share: Any = "0.2",
    rules: list[str] | None = None, blind_share: Any = "0.1", blind_threshold: int = 10,
    recheck_share: Any = "0.1", inspector_ids: list[int] | None = None, seed: str = "", is_active: bool = True,
    slow_percentile: int = 90,
) -> SamplingPlan:
    """Create or change a plan (QA leads and managers). The clock's next draw is set from the period.
    Changing a plan changes later draws only: entries, items and inspections already drawn stay."""
    require_qa_lead(actor)
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Required.")]
    if not Scorecard.objects.filter(pk=scorecard_id).exists():
        errors["scorecard_id"] = [_("Unknown scorecard.")]
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        errors["team_id"] = [_("Unknown team.")]
    if channel and channel not in Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    if period not in PlanPeriod.values:
        errors["period"] = [_("Unknown period.")]
    bad_rules = [r for r in rules or [] if r not in TARGETED_RULES]
    if bad_rules:
        errors["rules"] = [_("Unknown rule: %(rule)s") % {"rule": ", ".join(bad_rules)}]
    if not 0 <= blind_threshold <= 100:
        errors["blind_threshold"] = [_("Give 0 to 100.")]
    if not 1 <= slow_percentile <= 99:
        errors["slow_percentile"] = [_("Give 1 to 99 (90: the slowest tenth).")]
    inspectors = list(User.objects.filter(pk__in=inspector_ids or [], is_active=True))
    if len(inspectors) != len(set(inspector_ids or [])):
        errors["inspector_ids"] = [_("Unknown inspector.")]
    if errors:
        raise DomainError(code=QualityErrorCode.PLAN_INVALID, message=_("Check the plan."), fields=errors)
    values = {
        "name": name.strip(), "scorecard_id": scorecard_id, "team_id": team_id, "channel": channel, "period": period,
        "random_share": _share(random_share, "random_share"), "rules": list(dict.fromkeys(rules or [])),
        "blind_share": _share(blind_share, "blind_share"), "blind_threshold": blind_threshold,
        "recheck_share": _share(recheck_share, "recheck_share"), "seed": seed.strip()[:32], "is_active": is_active,
        "slow_percentile": slow_percentile,
    }
    if plan_id is None:
        plan = SamplingPlan.objects.create(**values, next_draw_at=next_draw_after(period, timezone.now()))
    else:
        plan = SamplingPlan.objects.select_for_update().filter(pk=plan_id).first()  # type: ignore[assignment]
        if plan is None:
            raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such plan."))
        for key, value in values.items():
            setattr(plan, key, value)
        plan.next_draw_at = next_draw_after(period, timezone.now()) if is_active else None
        plan.save()
    plan.inspectors.set(inspectors)
    chat_capture_ensure()  # the clock's cursor over ended chats, in case it was deleted
    return plan


def slowest(handling: dict[int, float], percentile: int) -> set[int]:
    """The contacts whose handling time (created → resolved, else closed) is above `percentile` of
    the period's: the slowest ceil(n × (100 − p) / 100), longest first, ties broken by the lower id,
    so the same contacts always give the same set."""
    if not handling or percentile >= 100:
        return set()
    n = math.ceil(len(handling) * (100 - max(percentile, 0)) / 100)
    ranked = sorted(handling.items(), key=lambda kv: (-kv[1], kv[0]))
    return {ticket_id for ticket_id, _s in ranked[:n]}


@dataclass
class _Contact:
    ticket_id: int  # the source id (a ticket's, or a chat conversation's when kind is "chat")
    agent_id: int
    reasons: list[str] = field(default_factory=list)
    kind: str = ContactKind.TICKET

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.ticket_id)


def _chat_candidates(plan: SamplingPlan, start: datetime, end: datetime) -> list[_Contact]:
    """The agent-handled chats that ended in the period (captured now if the clock has not yet). A
    plan for one channel other than chat takes none. Targeted rules that apply to a chat: a visitor
    rating of 2 or less (LOW_CSAT) and pre-screen findings (FLAGGED)."""
    if plan.channel and plan.channel != Channel.CHAT:
        return []
    items = [i for i in capture_ended_chats(start=start, end=end) if i.agent_id is not None]
    if plan.team_id is not None:
        items = [i for i in items if i.team_id == plan.team_id]
    rules = set(plan.rules or [])
    low = set()
    if DrawReason.LOW_CSAT in rules:
        low = set(
            Conversation.objects.filter(pk__in=[i.source_id for i in items], rating__lte=2).values_list(
                "pk", flat=True
            )
        )
    out = []
    for i in sorted(items, key=lambda i: i.source_id):
        checks = {DrawReason.LOW_CSAT: i.source_id in low, DrawReason.FLAGGED: bool(i.findings)}
        reasons = [r for r in TARGETED_RULES if r in rules and checks.get(DrawReason(r), False)]
        out.append(
            _Contact(ticket_id=i.source_id, agent_id=i.agent_id or 0, reasons=reasons, kind=ContactKind.CHAT)
        )
    return out


def _candidates(plan: SamplingPlan, start: datetime, end: datetime) -> list[_Contact]:
    qs = Ticket.objects.filter(
        status=TicketStatus.CLOSED, closed_at__gte=start, closed_at__lt=end, assignee__isnull=False
    )
    if plan.team_id is not None:
        qs = qs.filter(team_id=plan.team_id)
    if plan.channel:
        qs = qs.filter(channel=plan.channel)
    rows = list(qs.order_by("id").values_list(
        "id", "assignee_id", "kind", "reopen_count", "transfer_count", "created_at", "resolved_at", "closed_at"
    ))
    rules = set(plan.rules or [])
    slow: set[int] = set()
    if DrawReason.SLOW in rules:
        handling: dict[int, float] = {}
        for r in rows:
            done = r[6] or r[7]  # resolved, else closed
            if done is not None and r[5] is not None:
                handling[r[0]] = (done - r[5]).total_seconds()
        slow = slowest(handling, plan.slow_percentile)
    ids = [r[0] for r in rows]
    low = set()
    if DrawReason.LOW_CSAT in rules:
        low = set(Survey.objects.filter(ticket_id__in=ids, csat__lte=2).values_list("ticket_id", flat=True))
    flagged = set()
    if DrawReason.FLAGGED in rules:
        for ticket_id in ids:  # the reaction captured (and pre-screened) them at close; catch up any it missed
            item_capture_ticket(ticket_id=ticket_id)
        flagged = set(
            InspectionItem.objects.filter(kind=ContactKind.TICKET, source_id__in=ids)
            .exclude(findings=[]).values_list("source_id", flat=True)
        )
    out = []
    for ticket_id, agent_id, kind, reopens, transfers, *_times in rows:
        c = _Contact(ticket_id=ticket_id, agent_id=agent_id)
        checks = {
            DrawReason.COMPLAINT: kind == TicketKind.COMPLAINT,
            DrawReason.LOW_CSAT: ticket_id in low,
            DrawReason.REOPENED: reopens > 0,
            DrawReason.TRANSFERS: transfers >= 2,
            DrawReason.FLAGGED: ticket_id in flagged,
            DrawReason.SLOW: ticket_id in slow,
        }
        c.reasons = [r for r in TARGETED_RULES if r in rules and checks[DrawReason(r)]]
        out.append(c)
    return out


def plan_inspectors(plan: SamplingPlan) -> list[User]:
    chosen = list(plan.inspectors.filter(is_active=True).order_by("id"))
    return chosen or list(User.objects.filter(role=Role.QA, is_active=True).order_by("id"))


@dataclass
class DrawResult:
    draw: PlanDraw
    entries: list[PlanEntry]
    per_agent: dict[int, int]


@transaction.atomic
def plan_draw(
    *, plan_id: int, actor: User | None, start: datetime | None = None, end: datetime | None = None,
    seed: str | None = None, now: datetime | None = None,
) -> DrawResult:
    """Draw the plan over [start, end) (default: the period containing `now`). `actor` None is the
    clock; a person must be a QA lead or manager. The seed (default: the plan's, else plan id and
    period start) is stored with the draw, so the draw can be audited and repeated."""
    if actor is not None:
        require_qa_lead(actor)
    now = now or timezone.now()
    plan = SamplingPlan.objects.select_for_update().select_related("scorecard").filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such plan."))
    if start is None or end is None:
        start, end = period_bounds(plan.period, now)
    if end <= start:
        raise DomainError(code=QualityErrorCode.PLAN_INVALID, message=_("The period ends before it starts."))
    version = current_version(plan.scorecard)
    if version is None:
        raise Conflict(code=QualityErrorCode.NO_SCORECARD, message=_("The plan's scorecard has no published version."))
    seed = seed or plan.seed or f"{plan.pk}:{timezone.localtime(start).date().isoformat()}"
    draw = PlanDraw.objects.create(plan=plan, period_start=start, period_end=end, seed=seed, actor=actor, drawn_at=now)
    taken = set(PlanEntry.objects.filter(plan=plan).values_list("item__kind", "item__source_id"))
    # Tickets first, then chats, each in id order: a plan without chats draws as it always did.
    contacts = _candidates(plan, start, end) + _chat_candidates(plan, start, end)
    picks: list[tuple[tuple[str, int], str]] = []
    by_agent: dict[int, list[_Contact]] = defaultdict(list)
    for c in contacts:
        by_agent[c.agent_id].append(c)
    per_agent: dict[int, int] = {}
    share = float(plan.random_share)
    for agent_id in sorted(by_agent):
        mine = by_agent[agent_id]
        have = sum(1 for c in mine if c.key in taken)
        targeted = [c for c in mine if c.reasons and c.key not in taken]
        picks += [(c.key, c.reasons[0]) for c in targeted]
        want = max(1, round(len(mine) * share)) if share > 0 else 0
        pool = [c.key for c in mine if c.key not in taken and not c.reasons]
        rng = random.Random(f"{seed}:{agent_id}")
        chosen = rng.sample(pool, min(len(pool), max(0, want - have)))
        picks += [(t, DrawReason.RANDOM) for t in sorted(chosen)]
        per_agent[agent_id] = have + len(targeted) + len(chosen)
    inspectors = plan_inspectors(plan)
    entries = []
    for (kind, source_id), reason in sorted(picks):
        if kind == ContactKind.CHAT:
            item = item_capture_chat(conversation_id=source_id, now=now)
        else:
            item = item_capture_ticket(ticket_id=source_id, now=now)
        if item is None:
            continue
        entry = PlanEntry.objects.create(plan=plan, draw=draw, item=item, reason=reason)
        entries.append(entry)
        event(item_id=item.pk, kind=EventKind.DRAWN, actor=actor, plan=plan.pk, draw=draw.pk, reason=reason)
        _give(entry, item, inspectors, version.pk, seed, float(plan.blind_share), actor)
    draw.count = len(entries)
    draw.save(update_fields=["count"])
    return DrawResult(draw=draw, entries=entries, per_agent=per_agent)


def _give(
    entry: PlanEntry, item: InspectionItem, inspectors: list[User], version_id: int, seed: str, blind: float,
    actor: User | None,
) -> None:
    exclude = {item.agent_id or 0}
    first = least_loaded(inspectors, exclude=exclude)
    if first is None:
        return
    assign(item=item, inspector=first, level=InspectionLevel.FIRST, version_id=version_id, entry_id=entry.pk, actor=actor)
    salt = f"{item.source_id}" if item.kind == ContactKind.TICKET else f"{item.kind}:{item.source_id}"
    if blind > 0 and random.Random(f"{seed}:blind:{salt}").random() < blind:
        second = least_loaded(inspectors, exclude=exclude | {first.pk})
        if second is not None:
            assign(item=item, inspector=second, level=InspectionLevel.BLIND, version_id=version_id, entry_id=entry.pk,
                   actor=actor)


@transaction.atomic
def plan_draw_due(*, plan_id: int, due_at: datetime, now: datetime) -> bool:
    """The clock: claim the due plan (conditional UPDATE), draw the period that just ended."""
    plan = SamplingPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        return False
    nxt = next_draw_after(plan.period, now)
    claimed = SamplingPlan.objects.filter(pk=plan_id, next_draw_at=due_at, is_active=True).update(next_draw_at=nxt)
    if claimed != 1:
        return False
    start, end = period_bounds(plan.period, due_at - timedelta(minutes=2))
    plan_draw(plan_id=plan_id, actor=None, start=start, end=end, now=now)
    return True
