"""The phone channel (CTI): accounts, signed call events, screen pop, missed-call callbacks and
"new ticket from this call".

A CTI system (or its adapter) posts one JSON event per change of a call to
`/api/v1/channels/calls/events`, signed with the account's secret (kefu.channels.signing):

    {"event_id": "e-1", "type": "ringing", "call_id": "c-1", "caller": "13812345678",
     "callee": "95555", "agent": "agent01", "queue": "信用卡", "at": "2026-12-07T09:00:00+08:00"}

Types: ringing, answered, held, resumed, transferred, ended, missed (abandoned), wrapup (the agent
finished after-call work: `wrap_seconds`), recording (`recording_url`). `agent` is the kefu user
name (工号) of the agent. One CallEvent row per event id makes a retried event a no-op; the first
event of a call also writes its channel Contact (the failure list keeps events that could not be
read, with their bytes). The screen pop is pushed to the agent (or to the account's team while no
agent is named) after the event commits.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.channels import vault
from kefu.channels.access import require_manage
from kefu.channels.choices import ChannelKind, ContactStatus
from kefu.channels.cti_selectors import call_get, pop_card
from kefu.channels.errors import ChannelErrorCode
from kefu.channels.models import Call, CallEvent, ChannelAccount, Contact
from kefu.channels.models_cti import CallState
from kefu.core.errors import DomainError, NotFound
from kefu.customers.services import CustomerIdentity, customer_find, customer_match_or_create, normalize_phone
from kefu.realtime.push import group_name, push
from kefu.surveys.services import callback_open_for_missed_call
from kefu.tickets.choices import Channel
from kefu.tickets.models import Ticket
from kefu.tickets.services import TicketInput, ticket_create

logger = logging.getLogger("kefu.channels.cti")

EVENT_TYPES = ("ringing", "answered", "held", "resumed", "transferred", "ended", "missed", "wrapup", "recording")
CTI_FIELDS = ("vendor", "callback_hours", "hotline")
CALL_POP = "call.pop"


class CtiErrorCode:
    INVALID_EVENT = "call_event_invalid"
    NOT_FOUND = "call_not_found"


# --- accounts --------------------------------------------------------------------------------------


@dataclass
class CtiAccountInput:
    name: str
    secret: str | None = None  # None or "": keep the stored one
    team: Team | None = None
    is_active: bool = True
    vendor: str = ""
    hotline: str = ""
    callback_hours: int = 2


def cti_account_save(*, actor: User, data: CtiAccountInput, account_id: int | None = None) -> ChannelAccount:
    """Create or change a CTI account. Its secret signs the events; a new account needs one."""
    require_manage(actor)
    if not data.name.strip():
        raise DomainError(code=ChannelErrorCode.INVALID_CONFIG, message=_("A name is required."), fields={"name": [_("Required.")]})
    if not 1 <= data.callback_hours <= 72:
        raise DomainError(code=ChannelErrorCode.INVALID_CONFIG, message=_("Check the CTI settings."),
                          fields={"callback_hours": [_("Between 1 and 72 business hours.")]})
    with transaction.atomic():
        if account_id is None:
            account = ChannelAccount(kind=ChannelKind.CTI)
        else:
            found = ChannelAccount.objects.select_for_update().filter(pk=account_id, kind=ChannelKind.CTI).first()
            if found is None:
                raise NotFound(code=ChannelErrorCode.NOT_FOUND, message=_("No such channel account."))
            account = found
        if data.secret:
            if len(data.secret) < 16:
                raise DomainError(code=ChannelErrorCode.INVALID_CONFIG, message=_("Check the CTI settings."),
                                  fields={"secret": [_("At least 16 characters.")]})
            account.secret_encrypted = vault.encrypt(data.secret)
        elif not account.secret_encrypted:
            raise DomainError(code=ChannelErrorCode.INVALID_CONFIG, message=_("Check the CTI settings."),
                              fields={"secret": [_("Required.")]})
        account.name = data.name.strip()[:100]
        account.team = data.team
        account.is_active = data.is_active
        account.config = {"vendor": data.vendor.strip()[:64], "hotline": data.hotline.strip()[:32],
                          "callback_hours": int(data.callback_hours)}
        account.fetch_due_at = None  # nothing to fetch: the CTI posts its events
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError as exc:
            raise DomainError(code=ChannelErrorCode.INVALID_CONFIG, message=_("Another account has this name."),
                              fields={"name": [_("Already taken.")]}, status=409) from exc
    return account


# --- events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallEventIn:
    event_id: str
    type: str
    call_id: str
    at: datetime
    caller: str = ""
    callee: str = ""
    agent: str = ""
    queue: str = ""
    recording_url: str = ""
    wrap_seconds: int = 0
    direction: str = "in"


def _s(payload: dict[str, Any], key: str, limit: int) -> str:
    value = payload.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, (str, int)):
        raise ValueError(key)
    return str(value).strip()[:limit]


def parse_event(payload: Any, now: datetime) -> CallEventIn:
    """Check one event's shape; a DomainError (422) names the field that is wrong."""
    fields: dict[str, list[str]] = {}
    if not isinstance(payload, dict):
        raise DomainError(code=CtiErrorCode.INVALID_EVENT, message=_("An event is a JSON object."), status=422)
    values: dict[str, str] = {}
    for key, limit in (("event_id", 128), ("type", 16), ("call_id", 128), ("caller", 32), ("callee", 32),
                       ("agent", 64), ("queue", 64), ("recording_url", 500), ("direction", 4)):
        try:
            values[key] = _s(payload, key, limit)
        except ValueError:
            fields[key] = [_("A string.")]
    for key in ("event_id", "call_id"):
        if not values.get(key) and key not in fields:
            fields[key] = [_("Required.")]
    if values.get("type") not in EVENT_TYPES:
        fields["type"] = [_("One of: %(types)s.") % {"types": ", ".join(EVENT_TYPES)}]
    if values.get("type") == "ringing" and not values.get("caller"):
        fields["caller"] = [_("Required.")]
    url = values.get("recording_url", "")
    if url and not url.startswith(("https://", "http://")):
        fields["recording_url"] = [_("An http(s) address.")]
    at = now
    raw_at = payload.get("at")
    if raw_at not in (None, ""):
        parsed = parse_datetime(str(raw_at)) if isinstance(raw_at, str) else None
        if isinstance(raw_at, (int, float)) and not isinstance(raw_at, bool) and 0 < raw_at < 4e9:
            parsed = datetime.fromtimestamp(raw_at, tz=timezone.get_current_timezone())
        if parsed is None:
            fields["at"] = [_("An ISO 8601 time or Unix seconds.")]
        else:
            at = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    wrap = payload.get("wrap_seconds", 0)
    if not isinstance(wrap, int) or isinstance(wrap, bool) or not 0 <= wrap <= 86400:
        fields["wrap_seconds"] = [_("Whole seconds, 0 to 86400.")]
        wrap = 0
    if fields:
        raise DomainError(code=CtiErrorCode.INVALID_EVENT, message=_("The event is not valid."), fields=fields, status=422)
    return CallEventIn(
        event_id=values["event_id"], type=values["type"], call_id=values["call_id"], at=at, caller=values["caller"],
        callee=values["callee"], agent=values["agent"], queue=values["queue"], recording_url=url, wrap_seconds=wrap,
        direction="out" if values.get("direction") == "out" else "in",
    )


@dataclass(frozen=True)
class EventResult:
    call: Call | None
    duplicate: bool
    pop_user_ids: tuple[int, ...] = ()


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except DomainError:
        return raw.strip()[:32]


def _agent(ref: str) -> User | None:
    if not ref:
        return None
    return User.objects.filter(username=ref, is_active=True).first()


def _seconds(a: datetime | None, b: datetime | None) -> int:
    if a is None or b is None:
        return 0
    return max(0, int((b - a).total_seconds()))


def _fail_raw(account: ChannelAccount, raw: bytes, error: str, now: datetime, event_id: str = "") -> Contact:
    """Keep an event that could not be read in the failure list (once per body or event id)."""
    external_id = ("event:" + event_id) if event_id else "sha256:" + hashlib.sha256(raw).hexdigest()
    limit = int(getattr(settings, "KEFU_CHANNELS_RAW_MAX_BYTES", 5 * 1024 * 1024))
    contact, _created = Contact.objects.get_or_create(
        account=account, external_id=external_id[:255],
        defaults={"channel": ChannelKind.CTI, "raw": raw[:limit], "raw_size": len(raw), "raw_truncated": len(raw) > limit,
                  "status": ContactStatus.FAILED, "error": error[:2000], "received_at": now, "processed_at": now},
    )
    return contact


def call_event_receive(*, account: ChannelAccount, raw: bytes, now: datetime | None = None) -> EventResult:
    """Take in one signed event body. Invalid: kept as a failed contact and a 422 raised. The same
    event id twice: the first result, nothing changed."""
    now = now or timezone.now()
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        _fail_raw(account, raw, "invalid_json", now)
        raise DomainError(code=CtiErrorCode.INVALID_EVENT, message=_("The body is not JSON."), status=422) from None
    try:
        event = parse_event(payload, now)
    except DomainError as exc:
        raw_id = payload.get("event_id") if isinstance(payload, dict) else None
        event_id = raw_id[:120] if isinstance(raw_id, str) else ""
        _fail_raw(account, raw, f"{exc.code}: {json.dumps(exc.fields, ensure_ascii=False)}", now, event_id)
        raise
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = CallEvent.objects.create(account=account, event_id=event.event_id, kind=event.type, at=event.at,
                                                  received_at=now, payload=payload)
        except IntegrityError:
            first = CallEvent.objects.filter(account=account, event_id=event.event_id).select_related("call").first()
            return EventResult(call=first.call if first else None, duplicate=True)
        call, pops = _apply(account, event, raw, now)
        record.call = call
        record.save(update_fields=["call"])
    call_pk, team_id = call.pk, account.team_id
    for user_id in pops:
        transaction.on_commit(lambda uid=user_id: screen_pop_push(call_pk=call_pk, user_id=uid))  # type: ignore[misc]
    if not pops and event.type == "ringing" and call.agent_id is None and team_id is not None:
        transaction.on_commit(lambda: screen_pop_push_team(call_pk=call_pk, team_id=team_id))
    return EventResult(call=call, duplicate=False, pop_user_ids=tuple(pops))


def _apply(account: ChannelAccount, event: CallEventIn, raw: bytes, now: datetime) -> tuple[Call, list[int]]:
    call = Call.objects.select_for_update().filter(account=account, call_id=event.call_id).first()
    pops: list[int] = []
    if call is None:
        caller = _phone(event.caller) if event.caller else ""
        customer = customer_find(CustomerIdentity(phone=caller)) if caller else None
        call = Call.objects.create(
            account=account, call_id=event.call_id, caller=caller or "?", callee=event.callee, queue=event.queue,
            direction=event.direction, ringing_at=event.at, customer=customer, state=CallState.RINGING,
        )
        limit = int(getattr(settings, "KEFU_CHANNELS_RAW_MAX_BYTES", 5 * 1024 * 1024))
        Contact.objects.get_or_create(
            account=account, external_id=("call:" + event.call_id)[:255],
            defaults={"channel": ChannelKind.CTI, "sender": caller[:254], "subject": event.queue[:255],
                      "raw": raw[:limit], "raw_size": len(raw), "status": ContactStatus.PROCESSED,
                      "received_at": now, "processed_at": now},
        )
    changed: set[str] = set()
    agent = _agent(event.agent) if event.agent else None
    if event.agent and event.agent != call.agent_ref:
        call.agent_ref = event.agent
        changed.add("agent_ref")
    if agent is not None and agent.pk != call.agent_id:
        call.agent = agent
        changed.add("agent")
        if event.type in ("ringing", "answered", "transferred"):
            pops.append(agent.pk)
    if event.queue and not call.queue:
        call.queue = event.queue
        changed.add("queue")
    kind = event.type
    if kind == "answered" and call.answered_at is None:
        call.answered_at = event.at
        call.wait_seconds = _seconds(call.ringing_at, event.at)
        call.state = CallState.ANSWERED
        changed |= {"answered_at", "wait_seconds", "state"}
    elif kind == "held" and call.held_at is None and call.state == CallState.ANSWERED:
        call.held_at, call.state = event.at, CallState.HELD
        changed |= {"held_at", "state"}
    elif kind == "resumed" and call.held_at is not None:
        call.hold_seconds += _seconds(call.held_at, event.at)
        call.held_at, call.state = None, CallState.ANSWERED
        changed |= {"hold_seconds", "held_at", "state"}
    elif kind == "transferred":
        call.transfers += 1
        changed.add("transfers")
    elif kind in ("ended", "missed") and call.ended_at is None:
        if call.held_at is not None:
            call.hold_seconds += _seconds(call.held_at, event.at)
            call.held_at = None
        call.ended_at = event.at
        if call.answered_at is not None and kind == "ended":
            call.state = CallState.ENDED
            call.talk_seconds = max(0, _seconds(call.answered_at, event.at) - call.hold_seconds)
        else:
            call.state = CallState.MISSED
            call.wait_seconds = _seconds(call.ringing_at, event.at)
        if event.wrap_seconds:
            call.wrap_seconds = event.wrap_seconds
        changed |= {"hold_seconds", "held_at", "ended_at", "state", "talk_seconds", "wait_seconds", "wrap_seconds"}
    elif kind == "wrapup":
        call.wrap_seconds = event.wrap_seconds
        changed.add("wrap_seconds")
    elif kind == "recording" and event.recording_url:
        call.recording_url = event.recording_url
        changed.add("recording_url")
    if call.state == CallState.MISSED and call.callback_id is None and call.direction == "in":
        call.callback_id = _missed_call_callback(account, call)
        changed |= {"callback_id", "customer"}
    if changed:
        call.save(update_fields=[*changed, "updated_at"])
    return call, pops


def _missed_call_callback(account: ChannelAccount, call: Call) -> int | None:
    """A missed or abandoned inbound call becomes a callback in the account team's queue."""
    if not call.caller or call.caller == "?":
        return None
    try:
        customer, _created = customer_match_or_create(
            actor=None, identity=CustomerIdentity(name=_("Caller %(tail)s") % {"tail": call.caller[-4:]}, phone=call.caller)
        )
    except DomainError:
        logger.warning("cti: missed call %s from an unusable number", call.call_id)
        return None
    if call.customer_id is None:
        call.customer = customer
    notes = _("Missed call at %(time)s, queue %(queue)s, waited %(wait)s s.") % {
        "time": timezone.localtime(call.ringing_at).strftime("%Y-%m-%d %H:%M"), "queue": call.queue or "—",
        "wait": call.wait_seconds,
    }
    hours = int(account.config.get("callback_hours") or 2)
    callback = callback_open_for_missed_call(
        customer_id=customer.pk, team_id=account.team_id, missed_at=call.ended_at or call.ringing_at, hours=hours, notes=notes
    )
    return int(callback.pk)


# --- screen pop ------------------------------------------------------------------------------------


def screen_pop_push(*, call_pk: int, user_id: int) -> bool:
    """Push the caller's card to every open page of the agent (masked for that agent)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    call = Call.objects.select_related("customer__tier", "ticket").filter(pk=call_pk).first()
    if user is None or call is None:
        return False
    card = pop_card(call=call, viewer=user)
    sent = push(group_name("user", user.pk), {"type": CALL_POP, **card, "pushed_at": timezone.now().timestamp()})
    Call.objects.filter(pk=call_pk, popped_at__isnull=True).update(popped_at=timezone.now())
    return sent


def screen_pop_push_team(*, call_pk: int, team_id: int) -> bool:
    """No agent named yet (the call is in the queue): the team's pages see it, masked (a team has
    members of every kind, so the card shows what anyone may see)."""
    call = Call.objects.select_related("customer__tier", "ticket").filter(pk=call_pk).first()
    if call is None:
        return False
    viewer = User(role="agent", can_see_contacts=False, team_id=team_id, is_active=True)
    card = pop_card(call=call, viewer=viewer)
    card["open_tickets"], card["last_contacts"] = [], []  # the team group may hold agents who see less
    return push(group_name("team", team_id), {"type": CALL_POP, **card, "pushed_at": timezone.now().timestamp()})


# --- new ticket from this call ---------------------------------------------------------------------


def call_ticket_create(*, actor: User, call_pk: int, title: str = "", description: str = "") -> Ticket:
    """One click on the pop: a phone ticket for the caller (a new customer for an unknown number),
    taken by the actor, linked to the call. A call that has its ticket returns that one."""
    with transaction.atomic():
        visible = call_get(viewer=actor, call_pk=call_pk)
        if visible is None:
            raise NotFound(code=CtiErrorCode.NOT_FOUND, message=_("No such call."))
        call = Call.objects.select_for_update().get(pk=visible.pk)
        if call.ticket_id:
            return Ticket.objects.get(pk=call.ticket_id)
        customer = call.customer
        if customer is None and call.caller and call.caller != "?":
            customer, _created = customer_match_or_create(
                actor=actor, identity=CustomerIdentity(name=_("Caller %(tail)s") % {"tail": call.caller[-4:]}, phone=call.caller)
            )
            call.customer = customer
        when = timezone.localtime(call.ringing_at).strftime("%m-%d %H:%M")
        ticket = ticket_create(
            actor=actor,
            data=TicketInput(
                title=(title.strip() or _("Call %(when)s %(queue)s") % {"when": when, "queue": call.queue}).strip()[:200],
                description=description.strip() or _("Ticket from the call of %(when)s.") % {"when": when},
                channel=Channel.PHONE, customer=customer, contact_phone=call.caller if call.caller != "?" else "",
                team=actor.team if actor.team_id else call.account.team, assignee=actor if actor.team_id else None,
            ),
        )
        call.ticket = ticket
        call.save(update_fields=["ticket", "customer", "updated_at"])
    return ticket
