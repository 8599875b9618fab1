"""/api/v1/points/: balance, ledger, hand awards and their approval, reversals, the catalogue,
redemptions and their approval, improvement suggestions, the 服务之星 ranking. Agents see only
themselves, team leads their team, managers everyone."""

from __future__ import annotations

from datetime import datetime

from ninja import Query, Router, Schema, Status

from kefu.accounts.api import ApiRequest
from kefu.core.apitypes import ApiDateTime
from kefu.points import selectors, services
from kefu.points.access import access_agent
from kefu.points.models import AwardRequest, CatalogueItem, PointsEntry, Redemption, ServiceStar, Suggestion

router = Router(tags=["points"])


class PointsBalanceOut(Schema):
    agent_id: int
    name: str
    balance: int
    reserved: int
    available: int


class PointsEntryOut(Schema):
    id: int
    agent_id: int
    points: int
    kind: str
    reason: str
    ticket_number: str | None
    suggestion_id: int | None
    survey_id: int | None
    redemption_id: int | None
    reversal_of_id: int | None
    created_by_id: int | None
    approved_by_id: int | None
    created_at: datetime


class PointsAwardIn(Schema):
    agent_id: int
    points: int
    reason: str
    ticket_id: int | None = None


class PointsAwardRequestOut(Schema):
    id: int
    agent_id: int
    points: int
    reason: str
    status: str
    requested_by_id: int
    decided_by_id: int | None


class PointsAwardOut(Schema):
    """An award by hand: posted at once (`entry`), or waiting for approval (`request`)."""

    posted: bool
    entry: PointsEntryOut | None = None
    request: PointsAwardRequestOut | None = None


class PointsDecisionIn(Schema):
    approve: bool
    note: str = ""


class PointsReasonIn(Schema):
    reason: str


class PointsItemOut(Schema):
    id: int
    name: str
    kind: str
    cost: int
    description: str
    leave_hours: int | None


class PointsRedeemIn(Schema):
    item_id: int
    leave_start: ApiDateTime | None = None
    note: str = ""


class PointsRedemptionOut(Schema):
    id: int
    agent_id: int
    item_id: int
    item: str
    cost: int
    status: str
    leave_start: datetime | None
    leave_id: int | None
    requested_at: datetime
    decided_by_id: int | None
    decision_note: str


class PointsSuggestionIn(Schema):
    title: str
    body: str


class PointsNoteIn(Schema):
    note: str = ""


class PointsSuggestionOut(Schema):
    id: int
    author_id: int
    title: str
    body: str
    status: str
    reviewer_id: int | None
    decision_note: str
    submitted_at: datetime


class PointsStarRowOut(Schema):
    rank: int
    agent_id: int
    name: str
    team: str
    points: int
    csat: float | None
    qa_pass_rate: float | None
    score: str


class PointsStarOut(Schema):
    month: str
    announced_agent_id: int | None
    announced_name: str | None
    citation: str
    ranking: list[PointsStarRowOut]


class PointsLedgerQuery(Schema):
    agent_id: int | None = None
    limit: int = 100


class PointsStarQuery(Schema):
    month: str | None = None


def entry_out(e: PointsEntry) -> PointsEntryOut:
    return PointsEntryOut(
        id=e.pk, agent_id=e.agent_id, points=e.points, kind=e.kind, reason=e.reason,
        ticket_number=e.ticket.number if e.ticket_id and e.ticket else None, suggestion_id=e.suggestion_id,
        survey_id=e.survey_id, redemption_id=e.redemption_id, reversal_of_id=e.reversal_of_id,
        created_by_id=e.created_by_id, approved_by_id=e.approved_by_id, created_at=e.created_at,
    )


def award_request_out(a: AwardRequest) -> PointsAwardRequestOut:
    return PointsAwardRequestOut(
        id=a.pk, agent_id=a.agent_id, points=a.points, reason=a.reason, status=a.status,
        requested_by_id=a.requested_by_id, decided_by_id=a.decided_by_id,
    )


def item_out(i: CatalogueItem) -> PointsItemOut:
    return PointsItemOut(id=i.pk, name=i.name, kind=i.kind, cost=i.cost, description=i.description, leave_hours=i.leave_hours)


def redemption_out(r: Redemption) -> PointsRedemptionOut:
    return PointsRedemptionOut(
        id=r.pk, agent_id=r.agent_id, item_id=r.item_id, item=r.item.name, cost=r.cost, status=r.status,
        leave_start=r.leave_start, leave_id=r.leave_id, requested_at=r.requested_at, decided_by_id=r.decided_by_id,
        decision_note=r.decision_note,
    )


def suggestion_out(s: Suggestion) -> PointsSuggestionOut:
    return PointsSuggestionOut(
        id=s.pk, author_id=s.author_id, title=s.title, body=s.body, status=s.status, reviewer_id=s.reviewer_id,
        decision_note=s.decision_note, submitted_at=s.submitted_at,
    )


def _balance(agent_id: int, name: str) -> PointsBalanceOut:
    balance, reserved = selectors.balance_of(agent_id), selectors.reserved_of(agent_id)
    return PointsBalanceOut(agent_id=agent_id, name=name, balance=balance, reserved=reserved, available=balance - reserved)


@router.get("/balance", response=PointsBalanceOut)
def balance(request: ApiRequest, agent_id: int | None = None) -> PointsBalanceOut:
    """One agent's balance (yourself by default): the sum of the ledger, what pending redemptions hold."""
    agent = access_agent(user=request.auth, agent_id=agent_id if agent_id is not None else request.auth.pk)
    return _balance(agent.pk, agent.name)


@router.get("/balances", response=list[PointsBalanceOut])
def balances(request: ApiRequest) -> list[PointsBalanceOut]:
    return [
        PointsBalanceOut(agent_id=b.agent_id, name=b.name, balance=b.balance, reserved=b.reserved, available=b.available)
        for b in selectors.balances_visible_to(request.auth)
    ]


@router.get("/ledger", response=list[PointsEntryOut])
def ledger(request: ApiRequest, params: Query[PointsLedgerQuery]) -> list[PointsEntryOut]:
    """Ledger rows, newest first: yours, or a visible agent's (`agent_id`)."""
    agent = access_agent(user=request.auth, agent_id=params.agent_id if params.agent_id is not None else request.auth.pk)
    limit = max(1, min(params.limit, 500))
    return [entry_out(e) for e in selectors.ledger_visible_to(request.auth, agent_id=agent.pk)[:limit]]


@router.post("/award", response={201: PointsAwardOut})
def award(request: ApiRequest, payload: PointsAwardIn) -> Status:
    """An award by hand (team lead or manager); above the threshold it waits for approval."""
    made = services.points_award(
        actor=request.auth, agent_id=payload.agent_id, points=payload.points, reason=payload.reason,
        ticket_id=payload.ticket_id,
    )
    if isinstance(made, PointsEntry):
        return Status(201, PointsAwardOut(posted=True, entry=entry_out(made)))
    return Status(201, PointsAwardOut(posted=False, request=award_request_out(made)))


@router.get("/awards", response=list[PointsAwardRequestOut])
def awards_pending(request: ApiRequest) -> list[PointsAwardRequestOut]:
    """Hand awards waiting for your decision."""
    return [award_request_out(a) for a in selectors.awards_pending_for(request.auth)]


@router.post("/awards/{award_id}/decision", response=PointsAwardRequestOut)
def award_decision(request: ApiRequest, award_id: int, payload: PointsDecisionIn) -> PointsAwardRequestOut:
    return award_request_out(services.award_decide(actor=request.auth, award_id=award_id, approve=payload.approve, note=payload.note))


@router.post("/entries/{entry_id}/reverse", response={201: PointsEntryOut})
def reverse(request: ApiRequest, entry_id: int, payload: PointsReasonIn) -> Status:
    return Status(201, entry_out(services.points_reverse(actor=request.auth, entry_id=entry_id, reason=payload.reason)))


@router.get("/catalogue", response=list[PointsItemOut])
def catalogue(request: ApiRequest) -> list[PointsItemOut]:
    return [item_out(i) for i in selectors.catalogue()]


@router.post("/redeem", response={201: PointsRedemptionOut})
def redeem(request: ApiRequest, payload: PointsRedeemIn) -> Status:
    """Redeem an item for yourself; waits for your team lead's approval. More than you have available
    answers 400 `points_insufficient_balance`; an unknown item 404 `points_item_not_found`."""
    r = services.redemption_request(
        actor=request.auth, item_id=payload.item_id, leave_start=payload.leave_start, note=payload.note
    )
    return Status(201, redemption_out(r))


@router.get("/redemptions", response=list[PointsRedemptionOut])
def redemptions(request: ApiRequest, status: str | None = None) -> list[PointsRedemptionOut]:
    return [redemption_out(r) for r in selectors.redemptions_visible_to(request.auth, status=status)[:200]]


@router.post("/redemptions/{redemption_id}/decision", response=PointsRedemptionOut)
def redemption_decision(request: ApiRequest, redemption_id: int, payload: PointsDecisionIn) -> PointsRedemptionOut:
    return redemption_out(
        services.redemption_decide(actor=request.auth, redemption_id=redemption_id, approve=payload.approve, note=payload.note)
    )


@router.post("/redemptions/{redemption_id}/cancel", response=PointsRedemptionOut)
def redemption_cancel(request: ApiRequest, redemption_id: int) -> PointsRedemptionOut:
    return redemption_out(services.redemption_cancel(actor=request.auth, redemption_id=redemption_id))


@router.get("/suggestions", response=list[PointsSuggestionOut])
def suggestions(request: ApiRequest, status: str | None = None) -> list[PointsSuggestionOut]:
    return [suggestion_out(s) for s in selectors.suggestions_visible_to(request.auth, status=status)[:200]]


@router.post("/suggestions", response={201: PointsSuggestionOut})
def suggestion_submit(request: ApiRequest, payload: PointsSuggestionIn) -> Status:
    return Status(201, suggestion_out(services.suggestion_submit(actor=request.auth, title=payload.title, body=payload.body)))


@router.post("/suggestions/{suggestion_id}/review", response=PointsSuggestionOut)
def suggestion_review(request: ApiRequest, suggestion_id: int, payload: PointsNoteIn) -> PointsSuggestionOut:
    return suggestion_out(services.suggestion_review(actor=request.auth, suggestion_id=suggestion_id, note=payload.note))


@router.post("/suggestions/{suggestion_id}/adopt", response=PointsSuggestionOut)
def suggestion_adopt(request: ApiRequest, suggestion_id: int, payload: PointsNoteIn) -> PointsSuggestionOut:
    return suggestion_out(services.suggestion_adopt(actor=request.auth, suggestion_id=suggestion_id, note=payload.note))


@router.post("/suggestions/{suggestion_id}/reject", response=PointsSuggestionOut)
def suggestion_reject(request: ApiRequest, suggestion_id: int, payload: PointsReasonIn) -> PointsSuggestionOut:
    return suggestion_out(services.suggestion_reject(actor=request.auth, suggestion_id=suggestion_id, reason=payload.reason))


@router.get("/star", response=PointsStarOut)
def star(request: ApiRequest, params: Query[PointsStarQuery]) -> PointsStarOut:
    """The month's 服务之星 ranking over the agents you may see, and the announced star if any."""
    month = selectors.parse_month(params.month)
    announced: ServiceStar | None = selectors.star_of_month(month)
    rows = selectors.star_ranking(viewer=request.auth, month=month)
    return PointsStarOut(
        month=month.strftime("%Y-%m"),
        announced_agent_id=announced.agent_id if announced else None,
        announced_name=announced.agent.name if announced else None,
        citation=announced.citation if announced else "",
        ranking=[PointsStarRowOut(**r.as_dict()) for r in rows],
    )
