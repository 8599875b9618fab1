"""/api/v1/surveys/: callback queue and results, callback plans, the archive, the numbers, a ticket's
surveys. Endpoints parse, call a service or selector, and shape the answer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from kefu.accounts.api import ApiRequest
from kefu.core.apitypes import ApiDate, ApiDateTime
from kefu.core.errors import DomainError
from kefu.surveys import selectors, services
from kefu.surveys.errors import SurveyErrorCode
from kefu.surveys.models import Callback, CareAction, DissatisfiedCase, Survey
from kefu.tickets.access import access_ticket

router = Router(tags=["surveys"])


class SurveyOut(Schema):
    id: int
    ticket: str
    status: str
    channel: str
    sent_at: datetime | None
    answered_at: datetime | None
    csat: int | None
    nps: int | None
    dimension_scores: dict[str, int]
    reasons: list[str]
    comment: str
    is_low: bool
    callback_id: int | None


class CallbackOut(Schema):
    id: int
    source: str
    status: str
    customer_id: int
    customer_name: str
    ticket: str | None
    plan: str | None
    assignee_id: int | None
    due_at: datetime
    attempts: int
    max_attempts: int
    outcome: str
    repaired: bool | None
    notes: str
    survey_csat: int | None
    survey_nps: int | None
    survey_comment: str


class ResultIn(Schema):
    outcome: Literal["reached", "not_reached"]
    repaired: bool | None = None
    notes: str = ""
    answers: dict[str, str] = {}


class SurveyScheduleIn(Schema):
    ticket: str
    service_at: ApiDateTime | None = None


class CaseOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    status: str
    reason: str
    ticket: str | None
    opened_at: datetime
    closed_at: datetime | None
    close_reason: str


class CareIn(Schema):
    kind: str
    planned_for: ApiDate | None = None
    amount: Decimal | None = None
    notes: str = ""


class CareOut(Schema):
    id: int
    case_id: int
    kind: str
    status: str
    planned_for: date | None
    amount: Decimal | None
    notes: str
    done_at: datetime | None


class CloseIn(Schema):
    note: str = ""


class MetricsQuery(Schema):
    group: Literal["agent", "team", "category", "month", "week", "day"] = "agent"
    start: ApiDate
    end: ApiDate


class MetricOut(Schema):
    key: int | str | None
    label: str
    sent: int
    answered: int
    response_rate: float | None
    csat_responses: int
    csat: float | None
    nps_responses: int
    nps: float | None
    low_scores: int
    callbacks_closed: int
    callback_on_time_rate: float | None
    repaired_rate: float | None


def survey_out(s: Survey) -> SurveyOut:
    callback = getattr(s, "callback", None)
    return SurveyOut(
        id=s.pk, ticket=s.ticket.number, status=s.status, channel=s.channel, sent_at=s.sent_at,
        answered_at=s.answered_at, csat=s.csat, nps=s.nps, dimension_scores=s.dimension_scores or {},
        reasons=s.reasons or [], comment=s.comment, is_low=s.is_low, callback_id=callback.pk if callback else None,
    )


def callback_out(c: Callback) -> CallbackOut:
    s = c.survey
    return CallbackOut(
        id=c.pk, source=c.source, status=c.status, customer_id=c.customer_id, customer_name=c.customer.name,
        ticket=c.ticket.number if c.ticket else None, plan=c.plan.code if c.plan else None,
        assignee_id=c.assignee_id, due_at=c.due_at, attempts=c.attempts, max_attempts=c.max_attempts,
        outcome=c.outcome, repaired=c.repaired, notes=c.notes,
        survey_csat=s.csat if s else None, survey_nps=s.nps if s else None, survey_comment=s.comment if s else "",
    )


def case_out(c: DissatisfiedCase) -> CaseOut:
    return CaseOut(
        id=c.pk, customer_id=c.customer_id, customer_name=c.customer.name, status=c.status, reason=c.reason,
        ticket=c.ticket.number if c.ticket else None, opened_at=c.opened_at, closed_at=c.closed_at,
        close_reason=c.close_reason,
    )


def care_out(a: CareAction) -> CareOut:
    return CareOut(
        id=a.pk, case_id=a.case_id, kind=a.kind, status=a.status, planned_for=a.planned_for, amount=a.amount,
        notes=a.notes, done_at=a.done_at,
    )


@router.get("/callbacks", response=list[CallbackOut])
def callbacks(request: ApiRequest, scope: Literal["mine", "team", "all"] = "mine") -> list[CallbackOut]:
    """Open callbacks, earliest due first."""
    return [callback_out(c) for c in selectors.callback_queue(user=request.auth, scope=scope)]


@router.post("/callbacks/{callback_id}/result", response=CallbackOut)
def callback_result(request: ApiRequest, callback_id: int, payload: ResultIn) -> CallbackOut:
    services.callback_record_result(actor=request.auth, callback_id=callback_id, **payload.dict())
    callback = selectors.callback_get(user=request.auth, callback_id=callback_id)
    assert callback is not None
    return callback_out(callback)


@router.post("/plans/{code}/schedule", response={201: list[CallbackOut]})
def plan_schedule(request: ApiRequest, code: str, payload: SurveyScheduleIn) -> Status:
    """Schedule a callback plan for a ticket (e.g. `sale_delivery` with the delivery time)."""
    created = services.callback_plan_schedule(
        actor=request.auth, plan_code=code, ticket_number=payload.ticket, service_at=payload.service_at
    )
    rows = Callback.objects.filter(pk__in=[c.pk for c in created]).select_related("customer", "ticket", "plan", "survey")
    return Status(201, [callback_out(c) for c in rows.order_by("due_at", "id")])


@router.get("/metrics", response=list[MetricOut])
def metrics(request: ApiRequest, params: Query[MetricsQuery]) -> list[dict[str, object]]:
    """CSAT, NPS, response rate, callback on-time and repaired rates per group over local days [start, end]."""
    if params.start > params.end:
        raise DomainError(
            code=SurveyErrorCode.INVALID_INPUT,
            message=_("The start date must not be after the end date."),
            fields={"start": [_("After the end date.")]},
        )
    lo = selectors.local_day_bounds(params.start)[0]
    hi = selectors.local_day_bounds(params.end)[1]
    return [r.as_dict() for r in selectors.survey_metrics(user=request.auth, group=params.group, start=lo, end=hi)]


@router.get("/archive", response=list[CaseOut])
def archive(request: ApiRequest, status: Literal["open", "closed"] = "open") -> list[CaseOut]:
    return [case_out(c) for c in selectors.archive_list(user=request.auth, status=status)]


@router.post("/archive/{case_id}/care", response={201: CareOut})
def care_add(request: ApiRequest, case_id: int, payload: CareIn) -> Status:
    return Status(201, care_out(services.care_action_plan(actor=request.auth, case_id=case_id, **payload.dict())))


@router.post("/care/{action_id}/done", response=CareOut)
def care_done(request: ApiRequest, action_id: int, payload: CloseIn) -> CareOut:
    return care_out(services.care_action_done(actor=request.auth, action_id=action_id, notes=payload.note))


@router.post("/archive/{case_id}/close", response=CaseOut)
def case_close(request: ApiRequest, case_id: int, payload: CloseIn) -> CaseOut:
    services.dissatisfied_close(actor=request.auth, case_id=case_id, note=payload.note)
    case = selectors.case_get(user=request.auth, case_id=case_id)
    assert case is not None
    return case_out(case)


@router.get("/tickets/{number}", response=list[SurveyOut])
def ticket_surveys(request: ApiRequest, number: str) -> list[SurveyOut]:
    """The surveys of a ticket the caller can see (404 otherwise)."""
    ticket = access_ticket(user=request.auth, number=number)
    surveys = selectors.surveys_of_ticket(ticket_id=ticket.pk)
    for s in surveys:
        s.ticket = ticket
    return [survey_out(s) for s in surveys]
