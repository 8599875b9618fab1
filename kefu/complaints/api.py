"""/api/v1/complaints/: warnings and their duties, incidents (link, unlink, notify, plan, resolve),
compensation, public-opinion post import, root causes. Endpoints parse, call a service or
selector, and shape the answer; DomainError leaves as {"code", "message", "fields"}."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from kefu.accounts.api import ApiRequest
from kefu.accounts.models import Team, User
from kefu.complaints import actions, closure, selectors, services
from kefu.complaints.access import require_read, require_work
from kefu.complaints.errors import ComplaintErrorCode as E
from kefu.complaints.models import Compensation, ComplaintWarning, Incident, JointTask
from kefu.core.apitypes import ApiDate
from kefu.core.errors import DomainError, NotFound

router = Router(tags=["complaints"])


class WarningOut(Schema):
    id: int
    number: str
    level: str
    level_name: str
    series: str
    dimension: str
    key: str
    window: str
    status: str
    observed: int
    expected: float
    ratio: float
    raised_at: datetime
    acknowledged_at: datetime | None
    owner_id: int | None
    note: str
    duty_due_at: datetime | None
    escalations: int
    tickets: list[str] = []


def warning_out(w: ComplaintWarning, tickets: list[str] | None = None) -> WarningOut:
    return WarningOut(
        id=w.pk,
        number=w.number,
        level=w.level.code,
        level_name=w.level.name,
        series=w.label,
        dimension=w.dimension,
        key=w.key,
        window=w.window,
        status=w.status,
        observed=w.observed,
        expected=w.expected,
        ratio=w.ratio,
        raised_at=w.raised_at,
        acknowledged_at=w.acknowledged_at,
        owner_id=w.owner_id,
        note=w.note,
        duty_due_at=w.duty_due_at,
        escalations=w.escalations,
        tickets=tickets or [],
    )


class OwnerIn(Schema):
    owner_id: int


class NoteIn(Schema):
    note: str = ""


@router.get("/warnings", response=list[WarningOut])
def warnings(
    request: ApiRequest, status: str = "open", level: str = "", region: str = ""
) -> list[WarningOut]:
    require_read(request.auth)
    rows = (
        selectors.warning_board(user=request.auth, region=region)
        if status == "open"
        else selectors.warning_history(user=request.auth, level=level, region=region)
    )
    if level:
        rows = [w for w in rows if w.level.code == level]
    return [warning_out(w) for w in rows]


def _warning(request: ApiRequest, warning_id: int) -> WarningOut:
    w = selectors.warning_detail(user=request.auth, warning_id=warning_id)
    return warning_out(w, [t.number for t in selectors.warning_tickets(user=request.auth, warning=w)])


@router.get("/warnings/{warning_id}", response=WarningOut)
def warning(request: ApiRequest, warning_id: int) -> WarningOut:
    require_read(request.auth)
    return _warning(request, warning_id)


@router.post("/warnings/{warning_id}/acknowledge", response=WarningOut)
def warning_ack(request: ApiRequest, warning_id: int) -> WarningOut:
    services.warning_acknowledge(actor=request.auth, warning_id=warning_id)
    return _warning(request, warning_id)


@router.post("/warnings/{warning_id}/owner", response=WarningOut)
def warning_owner(request: ApiRequest, warning_id: int, payload: OwnerIn) -> WarningOut:
    if not ComplaintWarning.objects.filter(pk=warning_id).exists():
        # The warning first: a missing one answers 404 whatever the body names.
        raise NotFound(code=E.NOT_FOUND, message=_("Warning not found."))
    owner = User.objects.filter(pk=payload.owner_id).first()
    if owner is None:
        raise DomainError(
            code=E.NOT_FOUND, message=_("User not found."), fields={"owner_id": [_("User not found.")]}
        )
    services.warning_assign(actor=request.auth, warning_id=warning_id, owner=owner)
    return _warning(request, warning_id)


@router.post("/warnings/{warning_id}/note", response=WarningOut)
def warning_note(request: ApiRequest, warning_id: int, payload: NoteIn) -> WarningOut:
    services.warning_note(actor=request.auth, warning_id=warning_id, note=payload.note)
    return _warning(request, warning_id)


@router.post("/warnings/{warning_id}/close", response=WarningOut)
def warning_close(request: ApiRequest, warning_id: int, payload: NoteIn) -> WarningOut:
    services.warning_close(actor=request.auth, warning_id=warning_id, note=payload.note)
    return _warning(request, warning_id)


# --- incidents ---------------------------------------------------------------------------------------


class IncidentOut(Schema):
    id: int
    number: str
    title: str
    status: str
    owner_id: int | None
    supervisor_id: int | None
    expert_id: int | None
    warning: str | None
    opened_at: datetime
    plan: str
    plan_due_at: datetime | None
    plan_overdue: bool
    resolved_at: datetime | None
    tickets: list[str]
    compensation: dict[str, Decimal]


def incident_out(request: ApiRequest, i: Incident) -> IncidentOut:
    return IncidentOut(
        id=i.pk,
        number=i.number,
        title=i.title,
        status=i.status,
        owner_id=i.owner_id,
        supervisor_id=i.supervisor_id,
        expert_id=i.expert_id,
        warning=i.warning.number if i.warning else None,
        opened_at=i.opened_at,
        plan=i.plan,
        plan_due_at=i.plan_due_at,
        plan_overdue=i.plan_overdue,
        resolved_at=i.resolved_at,
        tickets=[t.number for t in selectors.incident_tickets(user=request.auth, incident=i)],
        compensation=selectors.compensation_totals(incident=i),
    )


class IncidentIn(Schema):
    title: str
    description: str = ""
    warning_id: int | None = None
    supervisor_id: int | None = None
    expert_id: int | None = None


class NumbersIn(Schema):
    numbers: list[str]


class NumberIn(Schema):
    number: str


class BodyIn(Schema):
    body: str


class CountOut(Schema):
    count: int


class PlanIn(Schema):
    plan: str


class CommentIn(Schema):
    comment: str


def _user(user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise DomainError(
            code=E.NOT_FOUND, message=_("User not found."), fields={field: [_("User not found.")]}
        )
    return user


def _incident(request: ApiRequest, incident_id: int) -> Incident:
    return selectors.incident_detail(user=request.auth, incident_id=incident_id)


@router.get("/incidents", response=list[IncidentOut])
def incidents(request: ApiRequest, status: str = "") -> list[IncidentOut]:
    require_work(request.auth)
    return [incident_out(request, i) for i in selectors.incident_list(user=request.auth, status=status)]


@router.post("/incidents", response={201: IncidentOut})
def incident_create(request: ApiRequest, payload: IncidentIn) -> Status:
    i = services.incident_open(
        actor=request.auth,
        title=payload.title,
        description=payload.description,
        warning_id=payload.warning_id,
        supervisor=_user(payload.supervisor_id, "supervisor_id"),
        expert=_user(payload.expert_id, "expert_id"),
    )
    return Status(201, incident_out(request, _incident(request, i.pk)))


@router.get("/incidents/{incident_id}", response=IncidentOut)
def incident(request: ApiRequest, incident_id: int) -> IncidentOut:
    require_work(request.auth)
    return incident_out(request, _incident(request, incident_id))


@router.post("/incidents/{incident_id}/link", response=IncidentOut)
def incident_link(request: ApiRequest, incident_id: int, payload: NumbersIn) -> IncidentOut:
    services.incident_link(actor=request.auth, incident_id=incident_id, numbers=payload.numbers)
    return incident_out(request, _incident(request, incident_id))


@router.post("/incidents/{incident_id}/unlink", response=IncidentOut)
def incident_unlink(request: ApiRequest, incident_id: int, payload: NumberIn) -> IncidentOut:
    services.incident_unlink(actor=request.auth, incident_id=incident_id, number=payload.number)
    return incident_out(request, _incident(request, incident_id))


@router.post("/incidents/{incident_id}/notify", response=CountOut)
def incident_notify(request: ApiRequest, incident_id: int, payload: BodyIn) -> CountOut:
    return CountOut(
        count=services.incident_notify(actor=request.auth, incident_id=incident_id, body=payload.body)
    )


@router.post("/incidents/{incident_id}/plan", response=IncidentOut)
def incident_plan(request: ApiRequest, incident_id: int, payload: PlanIn) -> IncidentOut:
    services.incident_plan(actor=request.auth, incident_id=incident_id, plan=payload.plan)
    return incident_out(request, _incident(request, incident_id))


@router.post("/incidents/{incident_id}/resolve", response=CountOut)
def incident_resolve(request: ApiRequest, incident_id: int, payload: CommentIn) -> CountOut:
    return CountOut(
        count=services.incident_resolve(actor=request.auth, incident_id=incident_id, comment=payload.comment)
    )


# --- compensation ------------------------------------------------------------------------------------


class CompensationIn(Schema):
    kind: str
    amount: str
    ticket: str = ""
    note: str = ""


class CompensationOut(Schema):
    id: int
    incident: str
    ticket: str | None
    kind: str
    amount: Decimal
    state: str
    decided_by_id: int | None
    paid_at: datetime | None


def compensation_out(c: Compensation) -> CompensationOut:
    return CompensationOut(
        id=c.pk,
        incident=c.incident.number,
        ticket=c.ticket.number if c.ticket else None,
        kind=c.kind,
        amount=c.amount,
        state=c.state,
        decided_by_id=c.decided_by_id,
        paid_at=c.paid_at,
    )


@router.get("/incidents/{incident_id}/compensation", response=list[CompensationOut])
def compensation_list(request: ApiRequest, incident_id: int) -> list[CompensationOut]:
    require_work(request.auth)
    return [
        compensation_out(c)
        for c in selectors.compensation_list(user=request.auth, incident=_incident(request, incident_id))
    ]


@router.post("/incidents/{incident_id}/compensation", response={201: CompensationOut})
def compensation_create(request: ApiRequest, incident_id: int, payload: CompensationIn) -> Status:
    c = services.compensation_propose(
        actor=request.auth,
        incident_id=incident_id,
        kind=payload.kind,
        amount=payload.amount,
        ticket_number=payload.ticket,
        note=payload.note,
    )
    return Status(201, compensation_out(c))


@router.post("/compensation/{compensation_id}/approve", response=CompensationOut)
def compensation_approve(request: ApiRequest, compensation_id: int) -> CompensationOut:
    return compensation_out(
        services.compensation_decide(actor=request.auth, compensation_id=compensation_id, approve=True)
    )


@router.post("/compensation/{compensation_id}/refuse", response=CompensationOut)
def compensation_refuse(request: ApiRequest, compensation_id: int) -> CompensationOut:
    return compensation_out(
        services.compensation_decide(actor=request.auth, compensation_id=compensation_id, approve=False)
    )


@router.post("/compensation/{compensation_id}/pay", response=CompensationOut)
def compensation_pay(request: ApiRequest, compensation_id: int) -> CompensationOut:
    return compensation_out(services.compensation_pay(actor=request.auth, compensation_id=compensation_id))


# --- public opinion ----------------------------------------------------------------------------------


class ImportIn(Schema):
    posts: list[dict[str, Any]]


class PostOut(Schema):
    id: int
    source: str
    url: str
    matched: list[str]
    score: int


class ImportOut(Schema):
    created: list[PostOut]
    duplicates: int
    errors: list[dict[str, Any]]


@router.post("/posts/import", response=ImportOut)
def posts_import(request: ApiRequest, payload: ImportIn) -> ImportOut:
    if len(payload.posts) > 5000:
        raise DomainError(code=E.BAD_POST, message=_("At most 5,000 posts per request."))
    result = services.posts_import(actor=request.auth, rows=payload.posts)
    return ImportOut(
        created=[
            PostOut(id=p.pk, source=p.source, url=p.url, matched=p.matched, score=p.score)
            for p in result.created
        ],
        duplicates=result.duplicates,
        errors=result.errors,
    )


# --- root causes -------------------------------------------------------------------------------------


class CauseIn(Schema):
    cause: str
    department_id: int | None = None
    note: str = ""


class CauseOut(Schema):
    ticket: str
    cause: str
    department_id: int | None


class StatsOut(Schema):
    causes: list[str]
    rows: list[dict[str, Any]]
    pareto: list[dict[str, Any]]
    total: int
    unattributed: int


@router.get("/causes/stats", response=StatsOut)
def cause_stats(request: ApiRequest, start: ApiDate | None = None, end: ApiDate | None = None) -> StatsOut:
    require_read(request.auth)
    tz = timezone.get_current_timezone()
    end = end or timezone.localdate()
    start = start or end - timedelta(days=90)
    stats = selectors.root_cause_stats(
        user=request.auth,
        start=datetime.combine(start, time(), tz),
        end=datetime.combine(end + timedelta(days=1), time(), tz),
    )
    return StatsOut(
        causes=[c.code for c in stats.causes],
        rows=stats.rows,
        total=stats.total,
        unattributed=stats.unattributed,
        pareto=[
            {
                "cause": p["cause"].code,
                "n": p["n"],
                "share": round(p["share"], 2),
                "cumulative": round(p["cumulative"], 2),
            }
            for p in stats.pareto
        ],
    )


@router.post("/causes/{number}", response=CauseOut)
def cause_set(request: ApiRequest, number: str, payload: CauseIn) -> CauseOut:
    department = None
    if payload.department_id is not None:
        department = Team.objects.filter(pk=payload.department_id).first()
        if department is None:
            raise NotFound(code=E.NOT_FOUND, message=_("Team not found."))
    c = services.complaint_cause_set(
        actor=request.auth, number=number, cause_code=payload.cause, department=department, note=payload.note
    )
    return CauseOut(ticket=number, cause=c.cause.code if c.cause else "", department_id=c.cause_department_id)


# --- upstream actions (上游整改) ----------------------------------------------------------------------


class UpstreamActionIn(Schema):
    cause_id: int
    title: str
    owner_id: int
    due_date: ApiDate
    category_id: int | None = None
    region: str = ""


class UpstreamActionDoneIn(Schema):
    result: str = ""


class RateOut(Schema):
    start: datetime
    end: datetime
    complaints: int
    tickets: int
    rate: float | None
    complete: bool


class UpstreamActionOut(Schema):
    id: int
    cause: str
    cause_name: str
    category_id: int | None
    region: str
    title: str
    owner_id: int | None
    due_date: date
    status: str
    done_at: datetime | None
    result: str
    created_at: datetime
    before: RateOut
    after: RateOut | None
    change: float | None


def _rate(w: actions.WindowRate) -> RateOut:
    return RateOut(
        start=w.start, end=w.end, complaints=w.complaints, tickets=w.tickets, rate=w.rate, complete=w.complete
    )


def upstream_action_out(e: actions.ActionEffect) -> UpstreamActionOut:
    a = e.action
    return UpstreamActionOut(
        id=a.pk,
        cause=a.cause.code,
        cause_name=a.cause.name,
        category_id=a.category_id,
        region=a.region,
        title=a.title,
        owner_id=a.owner_id,
        due_date=a.due_date,
        status=a.status,
        done_at=a.done_at,
        result=a.result,
        created_at=a.created_at,
        before=_rate(e.before),
        after=_rate(e.after) if e.after else None,
        change=e.change,
    )


@router.get("/upstream-actions", response=list[UpstreamActionOut])
def upstream_actions(request: ApiRequest, status: str = "") -> list[UpstreamActionOut]:
    """Upstream actions with the complaint rate 4 weeks before and after (team leads and managers)."""
    require_work(request.auth)
    rows = actions.upstream_actions(user=request.auth)
    if status:
        rows = [e for e in rows if e.action.status == status]
    return [upstream_action_out(e) for e in rows]


@router.post("/upstream-actions", response={201: UpstreamActionOut})
def upstream_action_create(request: ApiRequest, payload: UpstreamActionIn) -> Status:
    require_work(request.auth)
    owner = _user(payload.owner_id, "owner_id")
    action = actions.upstream_action_create(
        actor=request.auth,
        cause_id=payload.cause_id,
        title=payload.title,
        owner=owner,
        due_date=payload.due_date,
        category_id=payload.category_id,
        region=payload.region,
    )
    return Status(
        201, upstream_action_out(actions.upstream_action_detail(user=request.auth, action_id=action.pk))
    )


@router.get("/upstream-actions/{upstream_action_id}", response=UpstreamActionOut)
def upstream_action(request: ApiRequest, upstream_action_id: int) -> UpstreamActionOut:
    return upstream_action_out(
        actions.upstream_action_detail(user=request.auth, action_id=upstream_action_id)
    )


@router.post("/upstream-actions/{upstream_action_id}/done", response=UpstreamActionOut)
def upstream_action_done(
    request: ApiRequest, upstream_action_id: int, payload: UpstreamActionDoneIn
) -> UpstreamActionOut:
    """Mark the change in place: the 4-week after-window starts now (409 when already done)."""
    actions.upstream_action_done(actor=request.auth, action_id=upstream_action_id, result=payload.result)
    return upstream_action_out(
        actions.upstream_action_detail(user=request.auth, action_id=upstream_action_id)
    )


# --- joint handling tasks ----------------------------------------------------------------------------


class JointTaskOut(Schema):
    id: int
    ticket: str
    reason: str
    grade: str
    is_vip: bool
    status: str
    supervisor_id: int | None
    expert_id: int | None
    opened_at: datetime
    deadline: datetime
    overdue: bool
    result: str
    done_at: datetime | None


def joint_task_out(t: JointTask) -> JointTaskOut:
    return JointTaskOut(
        id=t.pk,
        ticket=t.ticket.number,
        reason=t.reason,
        grade=t.grade,
        is_vip=t.is_vip,
        status=t.status,
        supervisor_id=t.supervisor_id,
        expert_id=t.expert_id,
        opened_at=t.opened_at,
        deadline=t.deadline,
        overdue=t.overdue,
        result=t.result,
        done_at=t.done_at,
    )


class JointExpertIn(Schema):
    expert_id: int


class JointResultIn(Schema):
    result: str


@router.get("/joint-tasks", response=list[JointTaskOut])
def joint_tasks(request: ApiRequest, status: str = "open") -> list[JointTaskOut]:
    require_read(request.auth)
    return [joint_task_out(t) for t in selectors.joint_task_list(user=request.auth, status=status)]


def _joint(request: ApiRequest, task_id: int) -> JointTask:
    return selectors.joint_task_detail(user=request.auth, task_id=task_id)


@router.get("/joint-tasks/{task_id}", response=JointTaskOut)
def joint_task(request: ApiRequest, task_id: int) -> JointTaskOut:
    require_read(request.auth)
    return joint_task_out(_joint(request, task_id))


@router.post("/joint-tasks/{task_id}/expert", response=JointTaskOut)
def joint_task_expert(request: ApiRequest, task_id: int, payload: JointExpertIn) -> JointTaskOut:
    _joint(request, task_id)  # an invisible task is a 404 whatever the body names
    expert = _user(payload.expert_id, "expert_id")
    assert expert is not None
    services.joint_task_name_expert(actor=request.auth, task_id=task_id, expert=expert)
    return joint_task_out(_joint(request, task_id))


@router.post("/joint-tasks/{task_id}/complete", response=JointTaskOut)
def joint_task_complete(request: ApiRequest, task_id: int, payload: JointResultIn) -> JointTaskOut:
    _joint(request, task_id)
    services.joint_task_complete(actor=request.auth, task_id=task_id, result=payload.result)
    return joint_task_out(_joint(request, task_id))


# --- closure without the callback confirmation ---------------------------------------------------------


class OverrideIn(Schema):
    reason: str = ""


class ClosureOut(Schema):
    number: str
    status: str
    confirmed_by_callback: bool
    override_reason: str


@router.post("/tickets/{number}/close-override", response=ClosureOut)
def close_override(request: ApiRequest, number: str, payload: OverrideIn) -> ClosureOut:
    """A team lead closes a complaint without the customer's callback confirmation, with a reason."""
    ticket = closure.complaint_close_override(actor=request.auth, number=number, reason=payload.reason)
    return ClosureOut(
        number=ticket.number,
        status=ticket.status,
        confirmed_by_callback=closure.confirmed_callback(ticket.pk) is not None,
        override_reason=payload.reason.strip(),
    )
