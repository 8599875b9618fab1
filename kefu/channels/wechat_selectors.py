"""Reads of the WeChat channel: the phone claims waiting for an agent (masked unless the viewer
may see contacts) and a customer's WeChat identities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.channels.errors import ChannelErrorCode
from kefu.channels.wechat_models import ClaimStatus, WechatIdentity
from kefu.core.errors import Forbidden
from kefu.core.masking import mask_phone
from kefu.customers.models import CustomerPhone


@dataclass(frozen=True)
class ClaimRow:
    identity_id: int
    account: str
    openid: str
    customer: str
    phone: str  # masked unless the viewer may see contacts
    matches: str  # the customer on file with that phone, if any
    claimed_at: datetime | None
    last_inbound_at: datetime | None


def _require_staff(viewer: User) -> None:
    if not (viewer.is_authenticated and viewer.is_active) or (viewer.role == Role.QA and not viewer.is_superuser):
        raise Forbidden(code=ChannelErrorCode.FORBIDDEN, message=_("Your role may not link customers."))


def claims_pending(*, viewer: User, limit: int = 200) -> list[ClaimRow]:
    _require_staff(viewer)
    rows = list(
        WechatIdentity.objects.filter(claim_status=ClaimStatus.PENDING).select_related("account", "customer")
        .order_by("claimed_at", "id")[: max(1, min(limit, 500))]
    )
    phones = {p.number: p.customer for p in CustomerPhone.objects.filter(number__in=[r.claimed_phone for r in rows]).select_related("customer")}
    show = viewer.may_see_contacts
    out = []
    for r in rows:
        match = phones.get(r.claimed_phone)
        out.append(ClaimRow(
            identity_id=r.pk, account=r.account.name, openid=r.openid, customer=r.customer.name if r.customer else "",
            phone=r.claimed_phone if show else mask_phone(r.claimed_phone), matches=match.name if match else "",
            claimed_at=r.claimed_at, last_inbound_at=r.last_inbound_at,
        ))
    return out
