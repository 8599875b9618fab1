"""/api/v1/channels/: channel accounts (list), inbound contacts (list, get, retry, discard).
Managers and admins only; secrets never leave (an account says only whether one is stored)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import Router, Schema

from kefu.accounts.api import ApiRequest
from kefu.channels import selectors, services
from kefu.channels.errors import ChannelErrorCode
from kefu.channels.models import ChannelAccount, Contact
from kefu.channels.wechat_endpoints import router as wechat_router
from kefu.core.apitypes import ApiDateTime
from kefu.core.errors import NotFound

router = Router(tags=["channels"])
router.add_router("/wechat/", wechat_router)  # kefu/channels/wechat_endpoints.py

PUBLIC_CONFIG = ("source", "imap_host", "imap_port", "imap_security", "username", "folder", "smtp_host",
                 "smtp_port", "smtp_security", "from_address", "from_name")


class ChannelAccountOut(Schema):
    id: int
    kind: str
    name: str
    is_active: bool
    config: dict[str, Any]
    has_secret: bool
    team_id: int | None
    thread_window_hours: int
    rate_limit_per_hour: int
    poll_seconds: int
    last_fetch_at: ApiDateTime | None
    last_error: str


def account_out(a: ChannelAccount) -> ChannelAccountOut:
    return ChannelAccountOut(
        id=a.pk, kind=a.kind, name=a.name, is_active=a.is_active,
        config={k: a.config[k] for k in PUBLIC_CONFIG if k in a.config}, has_secret=a.has_secret,
        team_id=a.team_id, thread_window_hours=a.thread_window_hours, rate_limit_per_hour=a.rate_limit_per_hour,
        poll_seconds=a.poll_seconds, last_fetch_at=a.last_fetch_at, last_error=a.last_error,
    )


class ChannelContactOut(Schema):
    id: int
    account_id: int
    channel: str
    external_id: str
    sender: str
    sender_name: str
    subject: str
    status: str
    reason: str
    error: str
    attempts: int
    raw_size: int
    raw_truncated: bool
    ticket: str | None
    opened_ticket: bool
    refused_attachments: list[dict[str, Any]]
    received_at: ApiDateTime
    processed_at: ApiDateTime | None


def contact_out(c: Contact) -> ChannelContactOut:
    return ChannelContactOut(
        id=c.pk, account_id=c.account_id, channel=c.channel, external_id=c.external_id, sender=c.sender,
        sender_name=c.sender_name, subject=c.subject, status=c.status, reason=c.reason, error=c.error,
        attempts=c.attempts, raw_size=c.raw_size, raw_truncated=c.raw_truncated,
        ticket=c.ticket.number if c.ticket else None, opened_ticket=c.opened_ticket,
        refused_attachments=list(c.refused_attachments or []), received_at=c.received_at, processed_at=c.processed_at,
    )


@router.get("/accounts", response=list[ChannelAccountOut])
def accounts(request: ApiRequest) -> list[ChannelAccountOut]:
    return [account_out(a) for a in selectors.account_list(viewer=request.auth)]


@router.get("/contacts", response=list[ChannelContactOut])
def contacts(
    request: ApiRequest, status: str = "", account_id: int | None = None, before_id: int | None = None, limit: int = 50
) -> list[ChannelContactOut]:
    """Newest first; `status` is processed, failed, ignored, discarded or "failures" (failed + ignored);
    page with `before_id` = the last id of the previous page."""
    rows = selectors.contact_list(
        viewer=request.auth, status=status or None, account_id=account_id, before_id=before_id, limit=limit
    )
    return [contact_out(c) for c in rows]


def _contact(request: ApiRequest, contact_id: int) -> ChannelContactOut:
    c = selectors.contact_get(viewer=request.auth, contact_id=contact_id)
    if c is None:
        raise NotFound(code=ChannelErrorCode.NOT_FOUND, message=_("No such contact."))
    return contact_out(c)


@router.get("/contacts/{contact_id}", response=ChannelContactOut)
def contact(request: ApiRequest, contact_id: int) -> ChannelContactOut:
    return _contact(request, contact_id)


@router.post("/contacts/{contact_id}/retry", response=ChannelContactOut)
def contact_retry(request: ApiRequest, contact_id: int) -> ChannelContactOut:
    services.contact_retry(actor=request.auth, contact_id=contact_id)
    return _contact(request, contact_id)


@router.post("/contacts/{contact_id}/discard", response=ChannelContactOut)
def contact_discard(request: ApiRequest, contact_id: int) -> ChannelContactOut:
    services.contact_discard(actor=request.auth, contact_id=contact_id)
    return _contact(request, contact_id)
