"""The phone and SMS API of the channels app.

- Signed webhooks: CTI call events (/api/v1/channels/calls/events) and the SMS gateway's delivery
  receipts and inbound messages (/api/v1/channels/sms/). No bearer token there: the caller is a
  system, and it proves who it is by signing the body with its account's secret
  (kefu.channels.signing). An unsigned, stale or forged request is a 401 with a `signature_*` code,
  whoever sends it; nothing of it is kept.
- The calls list and one call (/api/v1/channels/calls/, bearer token): what the calls page shows
  the caller (kefu.channels.cti_selectors.calls_visible_to), numbers masked for roles that may not
  see contacts, the recording link only for those who may play it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from kefu.accounts.api import ApiRequest
from kefu.accounts.models import User
from kefu.channels import cti, signing, sms
from kefu.channels.choices import ChannelKind
from kefu.channels.cti_selectors import call_get, calls_filtered, may_play_recording, show_phone
from kefu.channels.errors import ChannelErrorCode
from kefu.channels.models import Call
from kefu.channels.models_cti import CallState
from kefu.core.apitypes import ApiDate, ApiDateTime
from kefu.core.errors import DomainError, NotFound

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


class ChannelsCallOut(Schema):
    id: int
    account_id: int
    call_id: str
    direction: str
    caller: str
    callee: str
    queue: str
    agent_id: int | None
    agent: str
    state: str
    ringing_at: ApiDateTime
    answered_at: ApiDateTime | None
    ended_at: ApiDateTime | None
    wait_seconds: int
    talk_seconds: int
    hold_seconds: int
    wrap_seconds: int
    handle_seconds: int
    transfers: int
    customer_id: int | None
    customer: str
    ticket: str | None
    callback_id: int | None
    recording_url: str


def call_out(c: Call, viewer: User) -> ChannelsCallOut:
    playable = may_play_recording(viewer) or (c.agent_id is not None and c.agent_id == viewer.pk)
    return ChannelsCallOut(
        id=c.pk, account_id=c.account_id, call_id=c.call_id, direction=c.direction,
        caller=show_phone(c.caller, viewer), callee=show_phone(c.callee, viewer) if c.callee else "",
        queue=c.queue, agent_id=c.agent_id, agent=c.agent.get_full_name() or c.agent.username if c.agent else "",
        state=c.state, ringing_at=c.ringing_at, answered_at=c.answered_at, ended_at=c.ended_at,
        wait_seconds=c.wait_seconds, talk_seconds=c.talk_seconds, hold_seconds=c.hold_seconds,
        wrap_seconds=c.wrap_seconds, handle_seconds=c.handle_seconds, transfers=c.transfers,
        customer_id=c.customer_id, customer=c.customer.name if c.customer else "",
        ticket=c.ticket.number if c.ticket else None, callback_id=c.callback_id,
        recording_url=c.recording_url if playable else "",
    )


@calls_router.get("/", response=list[ChannelsCallOut], operation_id="channels_calls")
def calls(
    request: ApiRequest, agent_id: int | None = None, state: str = "", date_from: ApiDate | None = None,
    date_to: ApiDate | None = None, customer_id: int | None = None, before_id: int | None = None, limit: int = 50,
) -> list[ChannelsCallOut]:
    """The calls the caller may see, as on the calls page: agents the calls they took or that rang
    for their team, team leads their team's, managers and admins all. Newest first; `state` is
    ringing, answered, held, ended or missed; `date_from`/`date_to` are the local days the call
    rang on (inclusive); page with `before_id` = the last id of the previous page."""
    if state and state not in CallState.values:
        raise DomainError(code=ChannelErrorCode.INVALID_FILTER, message=_("Unknown call state."),
                          fields={"state": [_("Unknown call state.")]})
    if date_from and date_to and date_from > date_to:
        raise DomainError(code=ChannelErrorCode.INVALID_FILTER, message=_("The start date is after the end date."),
                          fields={"date_from": [_("The start date is after the end date.")]})
    rows = calls_filtered(viewer=request.auth, agent_id=agent_id, state=state, date_from=date_from, date_to=date_to,
                          customer_id=customer_id, before_id=before_id, limit=limit)
    return [call_out(c, request.auth) for c in rows]


@calls_router.get("/{call_id}", response=ChannelsCallOut, operation_id="channels_call")
def call(request: ApiRequest, call_id: int) -> ChannelsCallOut:
    """One call the caller may see (404 otherwise, like a call that does not exist)."""
    c = call_get(viewer=request.auth, call_pk=call_id)
    if c is None:
        raise NotFound(code=ChannelErrorCode.NOT_FOUND, message=_("No such call."))
    return call_out(c, request.auth)
