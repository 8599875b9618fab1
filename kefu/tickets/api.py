"""/api/v1/tickets/: intake, queues, one ticket, and the work on it. Endpoints parse, call a service
or selector, and shape the answer; the services hold every rule (visibility, roles, transitions)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status

from kefu.accounts.api import ApiRequest
from kefu.accounts.models import Team, User
from kefu.core.errors import DomainError
from kefu.customers.api import Text200
from kefu.customers.errors import CustomerErrorCode
from kefu.customers.models import Customer, CustomerPhone
from kefu.customers.selectors import customer_get
from kefu.customers.services import CustomerIdentity, customer_match_or_create, normalize_phone
from kefu.tickets.access import access_ticket
from kefu.tickets.models import Category
from kefu.tickets.reactions import ticket_transaction
from kefu.tickets.schemas import (
    AssignIn,
    CustomerRefIn,
    MessageIn,
    MessageOut,
    StatusIn,
    TicketIn,
    TicketListQuery,
    TicketOut,
    TicketPage,
    TicketPatch,
    TimelineEntryOut,
    TransferIn,
    message_out,
    ticket_out,
    timeline_out,
)
from kefu.tickets.selectors import TicketFilter, ticket_list_visible_to, ticket_timeline
from kefu.tickets.services import (
    TicketInput,
    ticket_add_message,
    ticket_assign,
    ticket_change_priority,
    ticket_change_status,
    ticket_create,
    ticket_create_idempotent,
    ticket_transfer,
    ticket_update,
)

router = Router(tags=["tickets"])

# --- references in the input ------------------------------------------------------------------------------


def _unknown(code: str, field: str, message: str) -> DomainError:
    return DomainError(code=code, message=message, fields={field: [message]})


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise _unknown("team_not_found", "team_id", _("No such team."))
    return team


def _category(category_id: int | None) -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise _unknown("category_not_found", "category_id", _("No such category."))
    return category


def _user(username: str | None, field: str) -> User | None:
    if username is None:
        return None
    user = User.objects.select_related("team").filter(username=username).first()
    if user is None:
        raise _unknown("user_not_found", field, _("No such user."))
    return user


def _phone(raw: str, field: str) -> str:
    if not raw.strip():
        return ""
    try:
        return normalize_phone(raw)
    except DomainError as exc:
        raise DomainError(code=exc.code, message=exc.message, fields={field: list(exc.fields.get("phone", []))}) from exc


def _customer(actor: User, ref: CustomerRefIn | None) -> Customer | None:
    if ref is None:
        return None
    if ref.id is not None:
        customer = customer_get(viewer=actor, customer_id=ref.id)
        if customer is None:
            raise _unknown(CustomerErrorCode.NOT_FOUND, "customer.id", _("No such customer."))
        return customer
    identity = CustomerIdentity(
        name=ref.name, phone=ref.phone, email=ref.email, external_id=ref.external_id, wechat_id=ref.wechat_id
    )
    try:
        customer, _created = customer_match_or_create(actor=actor, identity=identity)
    except DomainError as exc:
        raise DomainError(
            code=exc.code,
            message=exc.message,
            fields={k if k == "customer" else f"customer.{k}": v for k, v in exc.fields.items()},
            status=exc.status,
        ) from exc
    return customer


def _ticket_input(actor: User, payload: TicketIn) -> TicketInput:
    return TicketInput(
        title=payload.title,
        description=payload.description,
        kind=payload.kind,
        channel=payload.channel,
        priority=payload.priority,
        category=_category(payload.category_id),
        customer=_customer(actor, payload.customer),
        contact_phone=_phone(payload.contact_phone, "contact_phone"),
        team=_team(payload.team_id),
        assignee=_user(payload.assignee, "assignee"),
        tags=payload.tags,
    )


# --- endpoints ------------------------------------------------------------------------------------------


@router.post(
    "/",
    response={201: TicketOut},
    summary="Create a ticket",
    description="With an `Idempotency-Key` header a retry returns the first ticket (201 again, with "
    "`Idempotent-Replayed: true`) instead of creating a second; the same key with a different body is a 409.",
)
def ticket_create_endpoint(
    request: ApiRequest,
    response: HttpResponse,
    payload: TicketIn,
    idempotency_key: Header[Text200 | None] = None,  # type: ignore[type-arg]
) -> Status:
    actor: User = request.auth
    # One transaction: a refused create (409, 403) leaves no inline customer behind. Under a key the
    # request is run again whole when the database connection is lost, even during COMMIT: the
    # second run finds the first ticket (kefu.api.LostConnectionRetryMiddleware).
    with ticket_transaction():
        data = _ticket_input(actor, payload)
        if idempotency_key:
            ticket, created = ticket_create_idempotent(
                actor=actor, key=idempotency_key, payload=payload.model_dump(mode="json"), data=data
            )
            if not created:
                response["Idempotent-Replayed"] = "true"
        else:
            ticket = ticket_create(actor=actor, data=data)
    return Status(201, ticket_out(ticket, actor))


@router.get("/", response=TicketPage, summary="List tickets (filters, keyset pagination)")
def ticket_list_endpoint(request: ApiRequest, params: Query[TicketListQuery]) -> dict[str, Any]:  # type: ignore[type-arg]
    viewer: User = request.auth
    f = TicketFilter(
        scope=params.scope,
        status=list(params.status),
        open_only=params.open,
        priority=list(params.priority),
        kind=list(params.kind),
        channel=list(params.channel),
        team_id=params.team_id,
        assignee_id=params.assignee_id,
        customer_id=params.customer_id,
        category_id=params.category_id,
        q=params.q,
        sort=params.sort,
        sla=params.sla,
    )
    page = ticket_list_visible_to(user=viewer, f=f, cursor=params.cursor, limit=params.limit)
    # Two more queries for the whole page, however many tickets it has.
    prefetch_related_objects(
        page.items, "tags", Prefetch("customer__phones", queryset=CustomerPhone.objects.order_by("-is_primary", "id"))
    )
    return {"items": [ticket_out(t, viewer) for t in page.items], "next_cursor": page.next_cursor}


@router.get("/{number}", response=TicketOut, summary="Get a ticket by number")
def ticket_get_endpoint(request: ApiRequest, number: Text200) -> dict[str, Any]:
    return ticket_out(access_ticket(user=request.auth, number=number), request.auth)


@router.patch("/{number}", response=TicketOut, summary="Change fields, tags or priority")
def ticket_update_endpoint(request: ApiRequest, number: Text200, payload: TicketPatch) -> dict[str, Any]:
    actor: User = request.auth
    sent = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {k: sent[k] for k in ("title", "description", "kind", "channel") if k in sent}
    if "contact_phone" in sent:
        changes["contact_phone"] = _phone(sent["contact_phone"], "contact_phone")
    if "category_id" in sent:
        changes["category"] = _category(sent["category_id"])
    with ticket_transaction():
        ticket = ticket_update(actor=actor, number=number, changes=changes, tags=sent.get("tags"))
        if "priority" in sent:
            ticket = ticket_change_priority(actor=actor, number=number, priority=sent["priority"])
    return ticket_out(ticket, actor)


@router.post("/{number}/messages", response={201: MessageOut}, summary="Add a public reply or an internal note")
def ticket_message_endpoint(request: ApiRequest, number: Text200, payload: MessageIn) -> Status:
    # Reply and status change commit together or not at all.
    with ticket_transaction():
        message = ticket_add_message(
            actor=request.auth, number=number, kind=payload.kind, body=payload.body, status=payload.status
        )
    return Status(201, message_out(message))


@router.post("/{number}/assign", response=TicketOut, summary="Assign to a user, or return to the team queue")
def ticket_assign_endpoint(request: ApiRequest, number: Text200, payload: AssignIn) -> dict[str, Any]:
    ticket = ticket_assign(
        actor=request.auth, number=number, assignee=_user(payload.assignee, "assignee"), team=_team(payload.team_id)
    )
    return ticket_out(ticket, request.auth)


@router.post("/{number}/transfer", response=TicketOut, summary="Transfer to another team and/or person")
def ticket_transfer_endpoint(request: ApiRequest, number: Text200, payload: TransferIn) -> dict[str, Any]:
    ticket = ticket_transfer(
        actor=request.auth,
        number=number,
        to_team=_team(payload.team_id),
        to_user=_user(payload.assignee, "assignee"),
        reason=payload.reason,
    )
    return ticket_out(ticket, request.auth)


@router.post("/{number}/status", response=TicketOut, summary="Change the status (resolve, close, reopen ...)")
def ticket_status_endpoint(request: ApiRequest, number: Text200, payload: StatusIn) -> dict[str, Any]:
    ticket = ticket_change_status(actor=request.auth, number=number, status=payload.status, comment=payload.comment)
    return ticket_out(ticket, request.auth)


@router.get("/{number}/timeline", response=list[TimelineEntryOut], summary="Events and messages, oldest first")
def ticket_timeline_endpoint(request: ApiRequest, number: Text200) -> list[dict[str, Any]]:
    ticket = access_ticket(user=request.auth, number=number)
    return timeline_out(ticket_timeline(ticket=ticket), request.auth)
