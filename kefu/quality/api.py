"""/api/v1/quality/: scorecards, sampling plans (list, draw), inspections (list, get, score,
submit), appeals (create, decide), results, and the AI pre-screen for outside recorders and ASR
systems (turns in, findings out). Endpoints parse, call a service or selector, and shape the
answer; DomainError leaves as {"code", "message", "fields"}."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kefu.accounts.api import ApiRequest
from kefu.core.apitypes import ApiDate
from kefu.core.errors import DomainError, NotFound
from kefu.quality import review, sampling, selectors, services
from kefu.quality.access import may_inspect, require_inspector
from kefu.quality.choices import AppealState, Speaker
from kefu.quality.errors import QualityErrorCode as E
from kefu.quality.models import Appeal, Inspection, SamplingPlan, Scorecard
from kefu.quality.prescreen import prescreen as run_prescreen
from kefu.quality.results import qa_agent_results, qa_total

router = Router(tags=["quality"])


# --- scorecards --------------------------------------------------------------------------------------


class QaScorecardItemOut(Schema):
    id: int
    section: str
    name: str
    kind: str
    points: int
    description: str


class QaScorecardVersionOut(Schema):
    id: int
    number: int
    published_at: datetime | None


class QaScorecardOut(Schema):
    id: int
    name: str
    pass_mark: int
    is_active: bool
    versions: list[QaScorecardVersionOut]
    items: list[QaScorecardItemOut] = []


def _card(card: Scorecard, *, items: bool) -> QaScorecardOut:
    versions = list(card.versions.all())
    out = QaScorecardOut(
        id=card.pk, name=card.name, pass_mark=card.pass_mark, is_active=card.is_active,
        versions=[QaScorecardVersionOut(id=v.pk, number=v.number, published_at=v.published_at) for v in versions],
    )
    current = services.current_version(card)
    if items and current is not None:
        out.items = [
            QaScorecardItemOut(id=i.pk, section=s.name, name=i.name, kind=i.kind, points=i.points, description=i.description)
            for s, its in selectors.version_tree(current) for i in its
        ]
    return out


@router.get("/scorecards", response=list[QaScorecardOut])
def scorecards(request: ApiRequest) -> list[QaScorecardOut]:
    require_inspector(request.auth)
    return [_card(c, items=False) for c in selectors.scorecards_list(user=request.auth)]


@router.get("/scorecards/{scorecard_id}", response=QaScorecardOut)
def scorecard(request: ApiRequest, scorecard_id: int) -> QaScorecardOut:
    card = selectors.scorecard_get(user=request.auth, scorecard_id=scorecard_id)
    if card is None:
        raise NotFound(code=E.NOT_FOUND, message=_("There is no such scorecard."))
    return _card(card, items=True)


# --- plans -------------------------------------------------------------------------------------------


class QaPlanOut(Schema):
    id: int
    name: str
    scorecard_id: int
    team_id: int | None
    channel: str
    period: str
    random_share: float
    rules: list[str]
    blind_share: float
    blind_threshold: int
    recheck_share: float
    seed: str
    is_active: bool
    next_draw_at: datetime | None


def _plan(p: SamplingPlan) -> QaPlanOut:
    return QaPlanOut(
        id=p.pk, name=p.name, scorecard_id=p.scorecard_id, team_id=p.team_id, channel=p.channel, period=p.period,
        random_share=float(p.random_share), rules=list(p.rules or []), blind_share=float(p.blind_share),
        blind_threshold=p.blind_threshold, recheck_share=float(p.recheck_share), seed=p.seed, is_active=p.is_active,
        next_draw_at=p.next_draw_at,
    )


class QaDrawIn(Schema):
    start: ApiDate | None = None
    end: ApiDate | None = None
    seed: str | None = Field(default=None, max_length=64)


class QaDrawOut(Schema):
    draw_id: int
    seed: str
    period_start: datetime
    period_end: datetime
    drawn: int
    item_ids: list[int]
    per_agent: dict[str, int]


def _local(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_current_timezone())


@router.get("/plans", response=list[QaPlanOut])
def plans(request: ApiRequest) -> list[QaPlanOut]:
    require_inspector(request.auth)
    return [_plan(p) for p in selectors.plans_list(user=request.auth)]


@router.post("/plans/{plan_id}/draw", response=QaDrawOut)
def plan_draw(request: ApiRequest, plan_id: int, payload: QaDrawIn) -> QaDrawOut:
    start = _local(payload.start) if payload.start else None
    end = _local(payload.end + timedelta(days=1)) if payload.end else None
    if (start is None) != (end is None):
        raise DomainError(code=E.PLAN_INVALID, message=_("Give both start and end, or neither."),
                          fields={"end": [_("Required with start.")]})
    got = sampling.plan_draw(plan_id=plan_id, actor=request.auth, start=start, end=end, seed=payload.seed or None)
    return QaDrawOut(
        draw_id=got.draw.pk, seed=got.draw.seed, period_start=got.draw.period_start, period_end=got.draw.period_end,
        drawn=len(got.entries), item_ids=[e.item_id for e in got.entries],
        per_agent={str(k): v for k, v in got.per_agent.items()},
    )


# --- inspections -------------------------------------------------------------------------------------


class QaTurnOut(Schema):
    speaker: str
    at: str | None = None
    text: str
    author: str = ""


class QaInspectionOut(Schema):
    id: int
    item_id: int
    contact: str
    kind: str
    agent_id: int | None
    team_id: int | None
    inspector_id: int | None
    level: str
    state: str
    scorecard_id: int
    version: int
    scores: dict[str, int]
    total: float | None
    passed: bool | None
    fatal_failed: bool
    comment: str
    coaching: str
    created_at: datetime
    submitted_at: datetime | None
    findings: list[dict[str, Any]] = []
    turns: list[QaTurnOut] = []


def _insp(i: Inspection, user: Any, *, detail: bool = False) -> QaInspectionOut:
    # Agents see their result, not who inspected them.
    who = i.inspector_id if may_inspect(user) else None
    out = QaInspectionOut(
        id=i.pk, item_id=i.item_id, contact=i.item.source_ref, kind=i.item.kind, agent_id=i.item.agent_id,
        team_id=i.item.team_id, inspector_id=who, level=i.level, state=i.state, scorecard_id=i.version.scorecard_id,
        version=i.version.number, scores=i.scores or {}, total=float(i.total) if i.total is not None else None,
        passed=i.passed, fatal_failed=i.fatal_failed, comment=i.comment, coaching=i.coaching,
        created_at=i.created_at, submitted_at=i.submitted_at,
    )
    if detail:
        out.findings = list(i.item.findings or [])
        out.turns = [
            QaTurnOut(speaker=str(t.get("speaker", "")), at=t.get("at"), text=str(t.get("text", "")),
                      author=str(t.get("author", "")))
            for t in i.item.turns or []
        ]
    return out


@router.get("/inspections", response=list[QaInspectionOut])
def inspections(
    request: ApiRequest, state: str = "", level: str = "", agent_id: int | None = None,
    inspector_id: int | None = None, before_id: int | None = None, limit: int = 100,
) -> list[QaInspectionOut]:
    rows = selectors.inspections_list(
        user=request.auth, state=state or None, level=level or None, agent_id=agent_id, inspector_id=inspector_id,
        before_id=before_id, limit=min(max(limit, 1), 500),
    )
    return [_insp(i, request.auth) for i in rows]


def _get(request: ApiRequest, inspection_id: int) -> Inspection:
    insp = selectors.inspection_get(user=request.auth, inspection_id=inspection_id)
    if insp is None:
        raise NotFound(code=E.NOT_FOUND, message=_("There is no such inspection."))
    return insp


@router.get("/inspections/{inspection_id}", response=QaInspectionOut)
def inspection(request: ApiRequest, inspection_id: int) -> QaInspectionOut:
    return _insp(_get(request, inspection_id), request.auth, detail=True)


class QaScoreIn(Schema):
    scores: dict[str, int] = {}
    comment: str = Field(default="", max_length=4000)
    coaching: str = Field(default="", max_length=4000)
    item_comments: dict[str, str] = {}


def _save(request: ApiRequest, inspection_id: int, payload: QaScoreIn, submit: bool) -> QaInspectionOut:
    require_inspector(request.auth)
    insp = services.inspection_save(
        actor=request.auth, inspection_id=inspection_id, scores=payload.scores, comment=payload.comment,
        coaching=payload.coaching, item_comments=payload.item_comments, submit=submit,
    )
    return _insp(_get(request, insp.pk), request.auth, detail=True)


@router.post("/inspections/{inspection_id}/score", response=QaInspectionOut)
def inspection_score(request: ApiRequest, inspection_id: int, payload: QaScoreIn) -> QaInspectionOut:
    """Keep scores on the caller's draft (partial scores allowed)."""
    return _save(request, inspection_id, payload, submit=False)


@router.post("/inspections/{inspection_id}/submit", response=QaInspectionOut)
def inspection_submit(request: ApiRequest, inspection_id: int, payload: QaScoreIn) -> QaInspectionOut:
    """Score every item and submit: total, pass/fail (a failed fatal item fails), for good."""
    return _save(request, inspection_id, payload, submit=True)


# --- appeals -----------------------------------------------------------------------------------------


class QaAppealIn(Schema):
    inspection_id: int
    reason: str = Field(max_length=4000)


class QaAppealDecideIn(Schema):
    decision: Literal["forward", "reject", "uphold"]
    note: str = Field(default="", max_length=4000)
    scores: dict[str, int] = {}


class QaAppealOut(Schema):
    id: int
    inspection_id: int
    agent_id: int
    reason: str
    state: str
    deadline: datetime
    lead_note: str
    qa_note: str
    result_inspection_id: int | None
    result_total: float | None
    result_passed: bool | None
    created_at: datetime


def _appeal(a: Appeal) -> QaAppealOut:
    r = a.result
    return QaAppealOut(
        id=a.pk, inspection_id=a.inspection_id, agent_id=a.agent_id, reason=a.reason, state=a.state,
        deadline=review.appeal_deadline(a.inspection), lead_note=a.lead_note, qa_note=a.qa_note,
        result_inspection_id=a.result_id, result_total=float(r.total) if r is not None and r.total is not None else None,
        result_passed=r.passed if r is not None else None, created_at=a.created_at,
    )


@router.get("/appeals", response=list[QaAppealOut])
def appeals(request: ApiRequest, state: str = "") -> list[QaAppealOut]:
    qs = selectors.appeals_visible(user=request.auth)
    if state:
        qs = qs.filter(state=state)
    return [_appeal(a) for a in qs.order_by("-created_at")[:200]]


@router.post("/appeals", response={201: QaAppealOut})
def appeal_create(request: ApiRequest, payload: QaAppealIn) -> Status:
    a = review.appeal_create(actor=request.auth, inspection_id=payload.inspection_id, reason=payload.reason)
    return Status(201, _appeal(a))


@router.post("/appeals/{appeal_id}/decide", response=QaAppealOut)
def appeal_decide(request: ApiRequest, appeal_id: int, payload: QaAppealDecideIn) -> QaAppealOut:
    """The team lead forwards or rejects (state `lead`); the QA lead upholds with scores or rejects (`qa`)."""
    appeal = selectors.appeal_get(user=request.auth, appeal_id=appeal_id)
    if appeal is None:
        raise NotFound(code=E.NOT_FOUND, message=_("There is no such appeal."))
    if appeal.state == AppealState.LEAD:
        if payload.decision == "uphold":
            raise DomainError(code=E.APPEAL_STATE, message=_("The team lead forwards or rejects."),
                              fields={"decision": [_("Use forward or reject.")]})
        review.appeal_lead_decide(actor=request.auth, appeal_id=appeal_id, forward=payload.decision == "forward",
                                  note=payload.note)
    else:
        if payload.decision == "forward":
            raise DomainError(code=E.APPEAL_STATE, message=_("The QA lead upholds or rejects."),
                              fields={"decision": [_("Use uphold or reject.")]})
        review.appeal_qa_decide(actor=request.auth, appeal_id=appeal_id, uphold=payload.decision == "uphold",
                                scores=payload.scores, note=payload.note)
    fresh = selectors.appeal_get(user=request.auth, appeal_id=appeal_id)
    assert fresh is not None
    return _appeal(fresh)


# --- results -----------------------------------------------------------------------------------------


class QaResultRow(Schema):
    agent_id: int
    inspected: int
    passed: int
    pass_rate: float | None
    average: float | None


class QaResultsOut(Schema):
    start: datetime
    end: datetime
    inspected: int
    passed: int
    pass_rate: float | None
    average: float | None
    agents: list[QaResultRow]


@router.get("/results", response=QaResultsOut)
def results(
    request: ApiRequest, start: ApiDate | None = None, end: ApiDate | None = None, team_id: int | None = None,
) -> QaResultsOut:
    """Pass rate and average per agent over contacts of [start, end] (default: this month), the
    inspection that counts for each; agents see their own, team leads their team."""
    today = timezone.localdate()
    first = start or today.replace(day=1)
    last = end or today
    if last < first:
        raise DomainError(code=E.INVALID_INPUT, message=_("The period ends before it starts."),
                          fields={"end": [_("Before start.")]})
    lo, hi = _local(first), _local(last + timedelta(days=1))
    agent_ids, team_ids = selectors.result_scope(request.auth)
    if team_id is not None:
        team_ids = [t for t in (team_ids or [team_id]) if t == team_id]
    per = qa_agent_results(start=lo, end=hi, agent_ids=agent_ids, team_ids=team_ids)
    total = qa_total(start=lo, end=hi, agent_ids=agent_ids, team_ids=team_ids)
    return QaResultsOut(
        start=lo, end=hi, inspected=total.inspected, passed=total.passed, pass_rate=total.pass_rate,
        average=total.average,
        agents=[QaResultRow(agent_id=k, inspected=v.inspected, passed=v.passed, pass_rate=v.pass_rate, average=v.average)
                for k, v in sorted(per.items())],
    )


# --- pre-screen --------------------------------------------------------------------------------------


class QaTurnIn(Schema):
    speaker: Literal["agent", "customer", "note"]
    text: str = Field(max_length=20000)
    at: str | None = Field(default=None, max_length=40)


class QaPrescreenIn(Schema):
    turns: list[QaTurnIn] = Field(max_length=2000)


class QaPrescreenOut(Schema):
    findings: list[dict[str, Any]]


@router.post("/prescreen", response=QaPrescreenOut)
def prescreen(request: ApiRequest, payload: QaPrescreenIn) -> QaPrescreenOut:
    """AI 初筛 of a conversation from outside (a recorder, an ASR system): turns with speaker
    (agent, customer, note) and text in, findings (rule, scorecard item, turn, evidence) out."""
    require_inspector(request.auth)
    turns = [{"speaker": Speaker(t.speaker).value, "text": t.text, "at": t.at} for t in payload.turns]
    return QaPrescreenOut(findings=[f.as_dict() for f in run_prescreen(turns)])



