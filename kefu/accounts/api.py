"""/api/v1/me: who the token belongs to, and their presence."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import ConfigDict

from kefu.accounts.choices import Presence, Role
from kefu.accounts.models import User
from kefu.accounts.services import user_set_presence

router = Router(tags=["me"])


class ApiRequest(HttpRequest):
    """What every endpoint receives: BearerAuth put the token's user on request.auth."""

    auth: User


class TeamRef(Schema):
    id: int
    name: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: Role
    team: TeamRef | None
    presence: Presence
    presence_changed_at: datetime | None
    may_see_contacts: bool
    sees_all_tickets: bool


class PresenceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    presence: Presence


def me_out(user: User) -> dict[str, object]:
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.name,
        "role": user.role,
        "team": {"id": user.team.pk, "name": user.team.name} if user.team_id and user.team else None,
        "presence": user.presence,
        "presence_changed_at": user.presence_changed_at,
        "may_see_contacts": user.may_see_contacts,
        "sees_all_tickets": user.sees_all_tickets,
    }


@router.get("", response=MeOut, summary="The user the token belongs to")
def me_get(request: ApiRequest) -> dict[str, object]:
    return me_out(request.auth)


@router.put("/presence", response=MeOut, summary="Set my presence (online, busy, away, offline)")
def me_presence_set(request: ApiRequest, payload: PresenceIn) -> dict[str, object]:
    user = user_set_presence(actor=request.auth, user=request.auth, presence=payload.presence)
    return me_out(user)
