"""/api/v1/chat/: conversations (list, get), messages after a cursor, send as agent, transfer, end,
ticket from chat. Staff only (bearer token); visibility as in the console."""

from __future__ import annotations

from typing import Any

from ninja import Field, Query, Router, Schema, Status

from kefu.accounts.api import ApiRequest
from kefu.chat import selectors, services
from kefu.chat.choices import ConversationStatus
from kefu.chat.views import conversation_json, offer_json

router = Router(tags=["chat"])


class ChatMessageIn(Schema):
    body: str = Field(..., max_length=100_000)
    internal: bool = False
    client_id: str = Field("", max_length=64)


class ChatTransferIn(Schema):
    to: int | None = None  # an agent, or
    team: int | None = None  # a team: its least busy online agent with a free slot
    note: str = Field("", max_length=300)


class ChatTicketIn(Schema):
    number: str = Field("", max_length=32)


class ListFilter(Schema):
    status: ConversationStatus | None = None


@router.get("/conversations")
def conversations(request: ApiRequest, f: Query[ListFilter]) -> list[dict[str, Any]]:
    qs = selectors.conversations_visible_to(request.auth)
    if f.status:
        qs = qs.filter(status=f.status)
    return [conversation_json(c) for c in qs.order_by("-id")[:100]]


@router.get("/conversations/{conversation_id}")
def conversation(request: ApiRequest, conversation_id: int) -> dict[str, Any]:
    return conversation_json(selectors.conversation_for_agent(user=request.auth, conversation_id=conversation_id))


@router.get("/conversations/{conversation_id}/messages")
def messages(request: ApiRequest, conversation_id: int, after: int = 0) -> dict[str, Any]:
    """Messages with seq > `after` (the cursor), up to 200; `next` is the cursor for the rest."""
    conv = selectors.conversation_for_agent(user=request.auth, conversation_id=conversation_id)
    msgs = selectors.messages_after(conversation=conv, after=after, internal=True)
    return {"messages": [services.message_json(m) for m in msgs],
            "next": msgs[-1].seq if len(msgs) == selectors.PAGE else None}


@router.post("/conversations/{conversation_id}/messages", response={201: dict[str, Any]})
def send(request: ApiRequest, conversation_id: int, payload: ChatMessageIn) -> Status:
    selectors.conversation_for_agent(user=request.auth, conversation_id=conversation_id)
    msg = services.agent_send(actor=request.auth, conversation_id=conversation_id, body=payload.body,
                              internal=payload.internal, client_id=payload.client_id)
    return Status(201, services.message_json(msg))


@router.post("/conversations/{conversation_id}/accept")
def accept(request: ApiRequest, conversation_id: int) -> dict[str, Any]:
    selectors.conversation_for_agent(user=request.auth, conversation_id=conversation_id)
    return conversation_json(services.conversation_accept(actor=request.auth, conversation_id=conversation_id))


@router.post("/conversations/{conversation_id}/decline")
def decline(request: ApiRequest, conversation_id: int) -> dict[str, Any]:
    """Pass on a chat offered to me: it goes to the next agent at once (409 no_offer when it is not
    offered to me)."""
    selectors.conversation_for_agent(user=request.auth, conversation_id=conversation_id)
    offer = services.offer_decline(actor=request.auth, conversation_id=conversation_id)
    return {"conversation": offer.conversation_id, "status": offer.status}


@router.get("/offers")
def offers(request: ApiRequest) -> list[dict[str, Any]]:
    """The chats offered to me now (each to be accepted or declined before `due`)."""
    return [offer_json(o) for o in selectors.offers_for(user=request.auth)]


@router.post("/conversations/{conversation_id}/transfer")
def transfer(request: ApiRequest, conversation_id: int, payload: ChatTransferIn) -> dict[str, Any]:
    selectors.conversation_for_agent(user=request.auth, conversation_id=conversation_id)
    conv = services.conversation_transfer(actor=request.auth, conversation_id=conversation_id,
                                          to_user_id=payload.to, to_team_id=payload.team, note=payload.note)
    return {"id": conv.pk, "agent_id": conv.assignee_id}


@router.post("/conversations/{conversation_id}/end")
def end(request: ApiRequest, conversation_id: int, resolved: bool = False) -> dict[str, Any]:
    """End the chat; `?resolved=true` when it was solved (resolves its ticket), otherwise it leaves
    an open ticket with the transcript."""
    selectors.conversation_for_agent(user=request.auth, conversation_id=conversation_id)
    return conversation_json(services.conversation_end(actor=request.auth, conversation_id=conversation_id,
                                                       resolved=resolved))


@router.post("/conversations/{conversation_id}/ticket")
def to_ticket(request: ApiRequest, conversation_id: int, payload: ChatTicketIn) -> dict[str, Any]:
    selectors.conversation_for_agent(user=request.auth, conversation_id=conversation_id)
    ticket = services.conversation_to_ticket(actor=request.auth, conversation_id=conversation_id,
                                             number=payload.number.strip())
    return {"number": ticket.number}
