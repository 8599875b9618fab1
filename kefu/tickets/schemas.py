"""Input and output shapes of /api/v1/tickets/, and the functions that fill the outputs.

Outputs are built for one viewer: contact numbers are masked for users who may not see them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, field_validator, model_validator

from kefu.accounts.models import User
from kefu.core.masking import mask_phone
from kefu.customers.api import (
    CustomerSummary,
    DbId,
    Email,
    LongText,
    StrictIn,
    Text32,
    Text64,
    Text100,
    Text200,
    Text500,
    Username,
    UserRef,
    customer_summary,
    user_ref,
)
from kefu.tickets.choices import Channel, MessageKind, Priority, TicketKind, TicketStatus
from kefu.tickets.models import Ticket, TicketMessage
from kefu.tickets.panels import api_field
from kefu.tickets.selectors import TimelineEntry

Scope = Literal["all", "mine", "team", "owned", "owned_elsewhere", "unassigned"]
Sort = Literal["-updated_at", "updated_at", "-created_at", "created_at"]

# --- input ----------------------------------------------------------------------------------------------


class CustomerRefIn(StrictIn):
    """Either {"id": 42} for a known customer, or what the contact told us: matched to an existing
    customer by external_id, then phone, then email, or created."""

    id: DbId | None = None
    name: Text100 = ""
    phone: Text32 = ""
    email: Email = ""
    external_id: Text64 = ""
    wechat_id: Text64 = ""

    @model_validator(mode="after")
    def _id_or_identity(self) -> CustomerRefIn:
        identity = any((self.name, self.phone, self.email, self.external_id, self.wechat_id))
        if self.id is not None and identity:
            raise ValueError("give either id or the customer's details, not both")
        return self


class TicketIn(StrictIn):
    title: Text200
    description: LongText = ""
    kind: TicketKind = TicketKind.INQUIRY
    channel: Channel = Channel.API
    priority: Priority = Priority.NORMAL
    category_id: DbId | None = None
    team_id: DbId | None = None
    assignee: Username | None = Field(None, description="Username of the agent to assign to.")
    tags: list[Text32] = Field(default_factory=list, max_length=20)
    contact_phone: Text32 = ""
    customer: CustomerRefIn | None = None


# Fields a PATCH may set but not to null.
_NOT_NULL = ("title", "description", "kind", "channel", "contact_phone", "tags", "priority")


class TicketPatch(StrictIn):
    """Only the fields present change; `category_id: null` clears the category."""

    title: Text200 | None = None
    description: LongText | None = None
    kind: TicketKind | None = None
    channel: Channel | None = None
    category_id: DbId | None = None
    contact_phone: Text32 | None = None
    tags: list[Text32] | None = Field(None, max_length=20)
    priority: Priority | None = None

    @field_validator(*_NOT_NULL)
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may not be null")
        return value


class MessageIn(StrictIn):
    kind: MessageKind
    body: LongText
    status: TicketStatus | None = Field(None, description="Move the ticket to this status in the same step.")


class AssignIn(StrictIn):
    assignee: Username | None = Field(description="Username, or null to return the ticket to its team queue.")
    team_id: DbId | None = None


class TransferIn(StrictIn):
    team_id: DbId | None = None
    assignee: Username | None = None
    reason: Text500


class StatusIn(StrictIn):
    status: TicketStatus
    comment: Text500 = ""


class TicketListQuery(Schema):
    scope: Scope = "all"
    status: list[TicketStatus] = Field(default_factory=list)
    open: bool = Field(False, description="Only new, assigned, in progress and pending customer tickets.")
    priority: list[Priority] = Field(default_factory=list)
    kind: list[TicketKind] = Field(default_factory=list)
    channel: list[Channel] = Field(default_factory=list)
    team_id: DbId | None = None
    assignee_id: DbId | None = None
    customer_id: DbId | None = None
    category_id: DbId | None = None
    q: Text200 = Field("", description="Ticket number, phone number, customer name or words (Chinese too).")
    sort: Sort = "-updated_at"
    sla: Literal["", "at_risk", "breached"] = Field(
        "", description="at_risk: an open target past 80 % of its time (breached included); breached: a target breached."
    )
    cursor: Text500 | None = Field(None, description="next_cursor of the previous page.")
    limit: int = Field(25, ge=1, le=100)


# --- output ---------------------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class SlaTargetOut(Schema):
    target: Literal["dispatch", "first_response", "next_response", "resolution"]
    state: Literal["running", "paused", "met", "breached"]
    paused: bool
    due_at: datetime | None = Field(description="Null while paused before the due time (it cannot be known).")
    achieved_at: datetime | None
    target_minutes: int = Field(description="The limit in business minutes of the policy's calendar.")
    remaining_business_seconds: int = Field(description="Business time left now; negative once overdue.")
    breached: bool
    cycle: int = Field(description="Next response: the number of the current wait.")


class TicketOut(Schema):
    number: str
    title: str
    description: str
    kind: TicketKind
    channel: Channel
    priority: Priority
    status: TicketStatus
    category: Ref | None
    team: Ref | None
    assignee: UserRef | None
    owner: UserRef | None
    customer: CustomerSummary | None
    contact_phone: str
    tags: list[str]
    transfer_count: int
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sla: list[SlaTargetOut] = Field(description="Time limits of the ticket, dispatch → resolution.")
    url: str = Field(description="The agent page of the ticket.")


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: int
    kind: MessageKind
    body: str
    author: UserRef | None
    from_customer: bool
    created_at: datetime
    attachments: list[AttachmentOut]


class TimelineEntryOut(Schema):
    type: Literal["event", "message"]
    kind: str = Field(description="The event kind, or reply / note for a message.")
    created_at: datetime
    actor: UserRef | None = Field(description="Who made the change or wrote the message; null for the customer.")
    by_customer: bool
    data: dict[str, Any]
    event_kind: str | None = Field(description="For a message: the event that recorded it (replied, noted, ...).")
    message: MessageOut | None


def ticket_out(ticket: Ticket, viewer: User) -> dict[str, Any]:
    """Uses what the caller loaded (select_related / prefetch_related) and loads the rest lazily."""
    return {
        "number": ticket.number,
        "title": ticket.title,
        "description": ticket.description,
        "kind": ticket.kind,
        "channel": ticket.channel,
        "priority": ticket.priority,
        "status": ticket.status,
        "category": {"id": ticket.category.pk, "name": ticket.category.name} if ticket.category else None,
        "team": {"id": ticket.team.pk, "name": ticket.team.name} if ticket.team else None,
        "assignee": user_ref(ticket.assignee) if ticket.assignee_id else None,
        "owner": user_ref(ticket.owner) if ticket.owner_id else None,
        "customer": customer_summary(ticket.customer, viewer) if ticket.customer_id else None,
        "contact_phone": ticket.contact_phone if viewer.may_see_contacts else mask_phone(ticket.contact_phone),
        "tags": [t.name for t in ticket.tags.all()],
        "transfer_count": ticket.transfer_count,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "sla": sla_out(ticket),
        "url": f"/tickets/{ticket.number}/",
    }


def sla_out(ticket: Ticket) -> list[dict[str, Any]]:
    """The `sla` API field the SLA app registers (kefu.tickets.panels.register_api_field); [] without it."""
    value: list[dict[str, Any]] = api_field("sla", ticket, default=[])
    return value


def message_out(message: TicketMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "kind": message.kind,
        "body": message.body,
        "author": user_ref(message.author) if message.author_id else None,
        "from_customer": message.from_customer,
        "created_at": message.created_at,
        "attachments": [
            {"id": a.document.pk, "name": a.document.name, "content_type": a.document.content_type, "size": a.document.size}
            for a in message.attachments.all()
        ],
    }


def timeline_out(entries: list[TimelineEntry], viewer: User) -> list[dict[str, Any]]:
    out = []
    for entry in entries:
        ev, msg = entry.event, entry.message
        if entry.extra is not None:
            if entry.extra.api is not None:  # an entry another app added (SLA warnings, breaches ...)
                out.append({
                    "type": "event", "created_at": entry.extra.at, "actor": None, "by_customer": False,
                    "event_kind": None, "message": None, **entry.extra.api,
                })
        elif msg is not None:
            out.append({
                "type": "message",
                "kind": msg.kind,
                "created_at": msg.created_at,
                "actor": user_ref(msg.author) if msg.author_id else None,
                "by_customer": msg.from_customer,
                "data": {},
                "event_kind": ev.kind if ev is not None else None,
                "message": message_out(msg),
            })
        elif ev is not None:
            out.append({
                "type": "event",
                "kind": ev.kind,
                "created_at": ev.created_at,
                "actor": user_ref(ev.actor) if ev.actor_id else None,
                "by_customer": ev.by_customer,
                "data": _event_data(ev.data, viewer),
                "event_kind": None,
                "message": None,
            })
    return out


def _event_data(data: dict[str, Any], viewer: User) -> dict[str, Any]:
    # A fields_changed event records the contact phone before and after: mask it like everywhere else.
    changes = data.get("changes")
    if viewer.may_see_contacts or not isinstance(changes, dict) or "contact_phone" not in changes:
        return data
    phone = changes["contact_phone"]
    masked = [mask_phone(v) if isinstance(v, str) else v for v in phone] if isinstance(phone, list) else phone
    return {**data, "changes": {**changes, "contact_phone": masked}}
