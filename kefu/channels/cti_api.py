"""Signed webhooks of the channels app: CTI call events (/api/v1/channels/calls/) and the SMS
gateway's delivery receipts and inbound messages (/api/v1/channels/sms/).

No bearer token here: the caller is a system, and it proves who it is by signing the body with its
account's secret (kefu.channels.signing). An unsigned, stale or forged request is a 401 with a
`signature_*` code, whoever sends it; nothing of it is kept."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from kefu.channels import cti, signing, sms
from kefu.channels.choices import ChannelKind

calls_router = Router(tags=["channels"])
sms_router = Router(tags=["channels"])


class ChannelsCallEventOut(Schema):
    ok: bool
    duplicate: bool
    call: int | None
    state: str


@calls_router.post("/events", auth=None, response=ChannelsCallEventOut, operation_id="channels_call_event")
def call_event(request: HttpRequest) -> dict[str, Any]:
    """One CTI event (ringing, answered, held, resumed, transferred, ended, missed, wrapup,
    recording), signed with the CTI account's secret. The same event id again answers
    `duplicate: true` and changes nothing."""
    verified = signing.verify(request, kind=ChannelKind.CTI)
    result = cti.call_event_receive(account=verified.account, raw=verified.body)
    return {"ok": True, "duplicate": result.duplicate, "call": result.call.pk if result.call else None,
            "state": result.call.state if result.call else ""}


class ChannelsSmsPushOut(Schema):
    code: int
    msg: str
    taken: int
    duplicates: int


@sms_router.post("/reports", auth=None, response=ChannelsSmsPushOut, operation_id="channels_sms_reports")
def sms_reports(request: HttpRequest) -> dict[str, Any]:
    """Delivery receipts (Aliyun SmsReport: a JSON array of {biz_id, phone_number, success,
    err_code, report_time ...}), signed with the SMS account's webhook secret."""
    verified = signing.verify(request, kind=ChannelKind.SMS)
    taken, dup = sms.sms_reports_receive(account=verified.account, payload=signing.json_body(verified.body))
    return {"code": 0, "msg": "成功", "taken": taken, "duplicates": dup}


@sms_router.post("/inbound", auth=None, response=ChannelsSmsPushOut, operation_id="channels_sms_inbound")
def sms_inbound(request: HttpRequest) -> dict[str, Any]:
    """Customers' SMS (Aliyun SmsUp: a JSON array of {phone_number, content, send_time,
    sequence_id ...}), signed with the SMS account's webhook secret. 退订 / TD opt out."""
    verified = signing.verify(request, kind=ChannelKind.SMS)
    taken, dup = sms.sms_inbound_receive(account=verified.account, raw=verified.body)
    return {"code": 0, "msg": "成功", "taken": taken, "duplicates": dup}
