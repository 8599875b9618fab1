"""/api/v1/channels/wechat/: the phone claims of WeChat users (list, confirm, reject). Staff except
QA; the claimed phone is masked for callers who may not see contacts. The callbacks themselves are
not API operations (WeChat signs them, no user token): /channels/wechat/<account>/callback."""

from __future__ import annotations

from ninja import Router, Schema

from kefu.accounts.api import ApiRequest
from kefu.channels import wechat_selectors, wechat_services
from kefu.core.apitypes import ApiDateTime

router = Router(tags=["channels"])


class ChannelsWechatClaimOut(Schema):
    identity_id: int
    account: str
    openid: str
    customer: str
    phone: str
    matches: str
    claimed_at: ApiDateTime | None
    last_inbound_at: ApiDateTime | None


class ChannelsWechatDecisionOut(Schema):
    identity_id: int
    claim_status: str
    customer_id: int | None


@router.get("/claims", response=list[ChannelsWechatClaimOut])
def claims(request: ApiRequest, limit: int = 200) -> list[ChannelsWechatClaimOut]:
    """Phone claims waiting for an agent, oldest first."""
    return [ChannelsWechatClaimOut(**r.__dict__) for r in wechat_selectors.claims_pending(viewer=request.auth, limit=limit)]


def _decide(request: ApiRequest, identity_id: int, confirm: bool) -> ChannelsWechatDecisionOut:
    i = wechat_services.claim_decide(actor=request.auth, identity_id=identity_id, confirm=confirm)
    return ChannelsWechatDecisionOut(identity_id=i.pk, claim_status=i.claim_status, customer_id=i.customer_id)


@router.post("/claims/{identity_id}/confirm", response=ChannelsWechatDecisionOut)
def claim_confirm(request: ApiRequest, identity_id: int) -> ChannelsWechatDecisionOut:
    """Link the WeChat user to the customer who has the claimed phone (or add it to their profile)."""
    return _decide(request, identity_id, True)


@router.post("/claims/{identity_id}/reject", response=ChannelsWechatDecisionOut)
def claim_reject(request: ApiRequest, identity_id: int) -> ChannelsWechatDecisionOut:
    return _decide(request, identity_id, False)
