"""What the phone and SMS channels add to the ticket page: the call records (duration, wait, talk,
hold, wrap-up; the recording for roles allowed to play it) and the SMS sent and received, with their
delivery state (registered in ChannelsConfig.ready())."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kefu.channels.access import may_manage
from kefu.channels.cti_selectors import calls_of_ticket, may_play_recording, show_phone, sms_of_ticket
from kefu.channels.models import SmsMessage
from kefu.tickets.carriers import register_reply_carrier
from kefu.tickets.choices import Channel
from kefu.tickets.models import Ticket, TicketMessage
from kefu.tickets.panels import Slot, register_panel


def _calls(request: HttpRequest, ticket: Ticket) -> dict[str, Any] | None:
    calls = calls_of_ticket(ticket_id=ticket.pk)
    texts = sms_of_ticket(ticket_id=ticket.pk) if ticket.channel == "sms" else []
    if not calls and not texts:
        return None
    user = request.user
    for c in calls:
        c.shown_caller = show_phone(c.caller, user)  # type: ignore[attr-defined,arg-type]
        c.playable = bool(c.recording_url) and (may_play_recording(user) or c.agent_id == user.pk)  # type: ignore[attr-defined,arg-type]
    for s in texts:
        s.shown_phone = show_phone(s.phone, user)  # type: ignore[attr-defined,arg-type]
    return {"ticket": ticket, "calls": calls, "texts": texts, "may_manage": may_manage(user)}  # type: ignore[arg-type]


def _carries_sms(message: TicketMessage) -> bool:
    # A ticket that came in by SMS is answered by SMS (kefu.channels.reactions_sms).
    return message.ticket.channel == Channel.SMS and SmsMessage.objects.filter(ticket_id=message.ticket_id, direction="in").exists()


def register_all() -> None:
    register_reply_carrier("channels.sms", _carries_sms)
    register_panel(
        name="channels.calls", slot=Slot.SIDE_END, order=310, template="channels/_ticket_calls.html",
        context=_calls, region="channel-calls",
    )
