"""/api/v1/dispatch/: the dispatch explanation of a ticket, its triage, the category suggestion,
the "test this rule" dry run and the team lead's board."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Router, Schema

from kefu.accounts.api import ApiRequest
from kefu.core.errors import Forbidden, NotFound
from kefu.customers.models import Customer
from kefu.dispatch.access import access_board, may_lead
from kefu.dispatch.models import DispatchDecision, TicketDispatch
from kefu.dispatch.selectors import (
    board_for,
    decisions_for_ticket,
    dispatch_preview,
    dispatch_state_for_ticket,
)
from kefu.dispatch.services import (
    category_suggestion_accept,
    category_suggestion_dismiss,
    dispatch_team_queue,
)
from kefu.tickets.choices import Channel, Priority, TicketKind
from kefu.tickets.models import Category

router = Router(tags=["dispatch"])


class CandidateOut(Schema):
    user_id: int | None = None
    name: str
    verdict: str
    presence: str
    load: int
    weighted: float
    capacity: int


class DecisionOut(Schema):
    id: int
    created_at: datetime
    trigger: str
    outcome: str
    team: str | None
    rule: str
    mode: str
    chosen: str | None
    chosen_name: str | None
    candidates: list[CandidateOut]
    notes: list[str]


class FiredOut(Schema):
    rule: str
    why: list[str]
    priority: str | None = None
    severity: str | None = None


class SuggestionOut(Schema):
    category_id: int
    category: str
    reasons: list[str]
    state: str


class TriageOut(Schema):
    number: str
    priority: str
    severity: str
    fired: list[FiredOut]
    suggestion: SuggestionOut | None
    repeat_complaint: bool
    repeat_of: list[str]
    bounced: bool
    bounce_reason: str
    back_office_due_at: datetime | None
    back_office_overdue: bool
    required_skill_ids: list[int]
    decisions: list[DecisionOut]


def decision_out(d: DispatchDecision) -> dict[str, Any]:
    return {
        "id": d.pk, "created_at": d.created_at, "trigger": d.trigger, "outcome": d.outcome,
        "team": d.team.name if d.team_id and d.team else None, "rule": d.rule_name, "mode": d.mode,
        "chosen": d.chosen.username if d.chosen_id and d.chosen else None,
        "chosen_name": d.chosen.name if d.chosen_id and d.chosen else None,
        "candidates": d.candidates, "notes": [str(n) for n in d.notes],
    }


def triage_out(number: str, priority: str, row: TicketDispatch | None, decisions: list[DispatchDecision]) -> dict[str, Any]:
    suggestion = None
    if row is not None and row.suggested_category_id and row.suggested_category:
        suggestion = {
            "category_id": row.suggested_category_id, "category": row.suggested_category.name,
            "reasons": row.suggestion_reasons, "state": row.suggestion_state,
        }
    return {
        "number": number, "priority": priority, "severity": row.severity if row else "",
        "fired": [{**f, "rule": str(f.get("rule", ""))} for f in (row.fired if row else [])],
        "suggestion": suggestion, "repeat_complaint": bool(row and row.is_repeat_complaint),
        "repeat_of": row.repeat_of if row else [], "bounced": bool(row and row.bounced),
        "bounce_reason": row.bounce_reason if row else "",
        "back_office_due_at": row.back_office_due_at if row else None,
        "back_office_overdue": bool(row and row.back_office_overdue),
        "required_skill_ids": row.required_skill_ids if row else [],
        "decisions": [decision_out(d) for d in decisions],
    }


@router.get("/tickets/{number}", response=TriageOut, summary="Triage and dispatch explanation of a ticket")
def get_ticket_dispatch(request: ApiRequest, number: str) -> dict[str, Any]:
    ticket, row = dispatch_state_for_ticket(user=request.auth, number=number)
    _t, decisions = decisions_for_ticket(user=request.auth, number=number)
    return triage_out(ticket.number, ticket.priority, row, decisions)


@router.get("/tickets/{number}/decisions", response=list[DecisionOut], summary="Dispatch decisions, newest first")
def list_decisions(request: ApiRequest, number: str) -> list[dict[str, Any]]:
    _ticket, decisions = decisions_for_ticket(user=request.auth, number=number)
    return [decision_out(d) for d in decisions]


@router.post("/tickets/{number}/suggestion/accept", response=TriageOut, summary="Accept the suggested category")
def accept_suggestion(request: ApiRequest, number: str) -> dict[str, Any]:
    category_suggestion_accept(actor=request.auth, number=number)
    return get_ticket_dispatch(request, number)


@router.post("/tickets/{number}/suggestion/dismiss", response=TriageOut, summary="Dismiss the suggested category")
def dismiss_suggestion(request: ApiRequest, number: str) -> dict[str, Any]:
    category_suggestion_dismiss(actor=request.auth, number=number)
    return get_ticket_dispatch(request, number)


class PreviewIn(Schema):
    text: str
    kind: TicketKind = TicketKind.INQUIRY
    channel: Channel = Channel.PHONE
    priority: Priority = Priority.NORMAL
    customer_id: int | None = None
    category_id: int | None = None
    language: str = "zh-hans"


class PreviewOut(Schema):
    priority: str
    severity: str
    fired: list[FiredOut]
    suggested_category: str | None
    category_reasons: list[str]
    rule: str
    rule_reasons: list[str]
    team: str | None
    required_skills: list[str]
    mode: str
    chosen: str | None
    candidates: list[CandidateOut]


def _require_lead(request: ApiRequest) -> None:
    if not may_lead(request.auth):
        raise Forbidden(code="dispatch_forbidden", message=_("Only team leads and managers may do this."))


@router.post("/preview", response=PreviewOut, summary="Test the rules: where would this ticket go, and why")
def preview(request: ApiRequest, payload: PreviewIn) -> dict[str, Any]:
    _require_lead(request)
    customer = Customer.objects.filter(pk=payload.customer_id).first() if payload.customer_id else None
    if payload.customer_id and customer is None:
        raise NotFound(code="customer_not_found", message=_("Customer not found."), fields={"customer_id": [_("Not found.")]})
    category = Category.objects.filter(pk=payload.category_id).first() if payload.category_id else None
    if payload.category_id and category is None:
        raise NotFound(code="category_not_found", message=_("Category not found."), fields={"category_id": [_("Not found.")]})
    p = dispatch_preview(
        text=payload.text, kind=payload.kind, channel=payload.channel, priority=payload.priority,
        customer=customer, category=category, language=payload.language,
    )
    return {
        "priority": p.priority, "severity": p.severity, "fired": [{**f, "rule": str(f["rule"])} for f in p.fired],
        "suggested_category": p.category.name if p.category else None, "category_reasons": p.category_reasons,
        "rule": p.rule_name, "rule_reasons": list(p.rule_reasons), "team": p.team.name if p.team else None,
        "required_skills": p.required, "mode": p.mode, "chosen": p.chosen.username if p.chosen else None,
        "candidates": [{**c, "verdict": str(c["verdict"]), "presence": str(c["presence"])} for c in p.candidates],
    }


class AgentOut(Schema):
    id: int
    username: str
    name: str
    role: str
    presence: str
    load: int
    weighted: float
    capacity: int


class QueuedOut(Schema):
    number: str
    title: str
    priority: str
    created_at: datetime


class FlaggedOut(Schema):
    number: str
    title: str
    team: str | None
    assignee: str | None
    severity: str
    bounced: bool
    repeat_complaint: bool
    back_office_overdue: bool


class BoardOut(Schema):
    team_id: int
    team: str
    assignment_mode: str
    queue_total: int
    queue: list[QueuedOut]
    agents: list[AgentOut]
    flagged: list[FlaggedOut]


@router.get("/teams/{team_id}/board", response=BoardOut, summary="The team lead's board")
def board(request: ApiRequest, team_id: int) -> dict[str, Any]:
    team = access_board(user=request.auth, team_id=team_id)
    b = board_for(team=team)
    return {
        "team_id": team.pk, "team": team.name, "assignment_mode": team.assignment_mode, "queue_total": b.queue_total,
        "queue": [{"number": t.number, "title": t.title, "priority": t.priority, "created_at": t.created_at} for t in b.queue],
        "agents": [
            {"id": a.user.pk, "username": a.user.username, "name": a.user.name, "role": a.user.role,
             "presence": a.user.presence, "load": a.load, "weighted": a.weighted, "capacity": a.capacity}
            for a in b.agents
        ],
        "flagged": [
            {"number": t.number, "title": t.title, "team": t.team.name if t.team else None,
             "assignee": t.assignee.username if t.assignee else None, "severity": r.severity, "bounced": r.bounced,
             "repeat_complaint": r.is_repeat_complaint, "back_office_overdue": r.back_office_overdue}
            for t, r in b.flagged
        ],
    }


class DrainOut(Schema):
    assigned: list[str]


@router.post("/teams/{team_id}/drain", response=DrainOut, summary="Hand out the team's waiting tickets now")
def drain(request: ApiRequest, team_id: int) -> dict[str, Any]:
    team = access_board(user=request.auth, team_id=team_id)
    decisions = dispatch_team_queue(team)
    return {"assigned": [d.ticket.number for d in decisions]}
