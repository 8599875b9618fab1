"""Knowledge API: search, suggestions for a ticket, feedback, canned-reply lookup and fill."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Query, Router, Schema

from kefu.accounts.api import ApiRequest
from kefu.core.apitypes import ApiDateTime
from kefu.knowledge import services
from kefu.knowledge.choices import DocKind
from kefu.knowledge.search import SearchFilter, SearchHit, search, suggestions_for_text
from kefu.knowledge.selectors import reply_lookup
from kefu.tickets.access import access_ticket

router = Router(tags=["knowledge"])


class HitOut(Schema):
    kind: str
    object_id: int
    title: str
    title_html: str
    snippet_html: str
    score: float
    updated_at: datetime
    url: str


class SearchParams(Schema):
    q: str = Field(..., min_length=1, max_length=2000)
    kind: list[DocKind] = Field(default_factory=list)
    category_id: int | None = None
    team_id: int | None = None
    updated_from: ApiDateTime | None = None
    updated_to: ApiDateTime | None = None
    limit: int = Field(20, ge=1, le=100)


class FeedbackIn(Schema):
    kind: DocKind
    object_id: int = Field(..., ge=1)
    action: str = Field(..., pattern="^(used|helpful|not_helpful)$")
    ticket_number: str | None = Field(None, max_length=20)


class FeedbackOut(Schema):
    recorded: bool


class ReplyOut(Schema):
    id: int
    title: str
    shortcut: str
    scenario: str
    body: str


class FilledOut(Schema):
    text: str


def _out(hits: list[SearchHit]) -> list[HitOut]:
    return [HitOut(kind=h.kind, object_id=h.object_id, title=h.title, title_html=str(h.title_html),
                   snippet_html=str(h.snippet_html), score=round(h.score, 4), updated_at=h.updated_at, url=h.url)
            for h in hits]


@router.get("/search", response=list[HitOut])
def search_endpoint(request: ApiRequest, params: Query[SearchParams]) -> list[HitOut]:
    f = SearchFilter(kinds=tuple(params.kind) or SearchFilter().kinds, category_id=params.category_id,
                     team_id=params.team_id, updated_from=params.updated_from, updated_to=params.updated_to)
    return _out(search(user=request.auth, query=params.q, f=f, limit=params.limit))


@router.get("/suggestions/{number}", response=list[HitOut])
def suggestions_endpoint(request: ApiRequest, number: str) -> list[HitOut]:
    ticket = access_ticket(user=request.auth, number=number)
    return _out(suggestions_for_text(user=request.auth, text=f"{ticket.title} {ticket.description}"))


@router.post("/feedback", response=FeedbackOut)
def feedback_endpoint(request: ApiRequest, payload: FeedbackIn) -> FeedbackOut:
    recorded = services.suggestion_feedback(actor=request.auth, kind=payload.kind, object_id=payload.object_id,
                                            action=payload.action, ticket_number=payload.ticket_number)
    return FeedbackOut(recorded=recorded)


@router.get("/replies", response=list[ReplyOut])
def replies_endpoint(request: ApiRequest, q: str = Query("", max_length=64)) -> list[ReplyOut]:
    rows = reply_lookup(user=request.auth, typed=q)
    return [ReplyOut(id=r.pk, title=r.title, shortcut=r.shortcut, scenario=r.scenario, body=r.body) for r in rows]


@router.post("/replies/{reply_id}/fill", response=FilledOut)
def reply_fill_endpoint(request: ApiRequest, reply_id: int, ticket: str | None = None) -> FilledOut:
    return FilledOut(text=services.reply_fill(actor=request.auth, reply_id=reply_id, ticket_number=ticket))
