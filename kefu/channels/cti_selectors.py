"""Reads of the phone channel: the screen pop card, the calls list, the calls on a ticket, and the
handling-time rows the KPIs (AHT) read. Contacts are masked for viewers who may not see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from kefu.accounts.models import User
from kefu.channels.models import Call, Contact
from kefu.channels.models_cti import CallState, SmsMessage
from kefu.core.masking import mask_phone
from kefu.customers.selectors import contact_view
from kefu.surveys.selectors import dissatisfied_customer_ids
from kefu.tickets.access import tickets_visible_to
from kefu.tickets.choices import OPEN_STATUSES

CARD_TICKETS = 5
CARD_CONTACTS = 5


def may_see_calls(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def show_phone(number: str, viewer: User) -> str:
    return number if viewer.may_see_contacts else mask_phone(number)


def calls_visible_to(user: User) -> QuerySet[Call]:
    """Staff take calls from anyone: agents see the calls they took or that rang for them, plus the
    calls of their team's queue account; supervisors see every call."""
    qs = Call.objects.select_related("agent", "customer", "ticket", "account")
    if not may_see_calls(user):
        return qs.none()
    if user.is_supervising:
        return qs
    if user.team_id:
        return qs.filter(agent=user) | qs.filter(agent__isnull=True, account__team_id=user.team_id) | qs.filter(
            agent__team_id=user.team_id
        )
    return qs.filter(agent=user)


def call_get(*, viewer: User, call_pk: int) -> Call | None:
    return calls_visible_to(viewer).filter(pk=call_pk).first()


def calls_list(*, viewer: User, state: str = "", limit: int = 100) -> list[Call]:
    qs = calls_visible_to(viewer)
    if state:
        qs = qs.filter(state=state)
    return list(qs.order_by("-ringing_at", "-id")[: max(1, min(limit, 500))])


def calls_filtered(
    *, viewer: User, agent_id: int | None = None, state: str = "", date_from: date | None = None,
    date_to: date | None = None, customer_id: int | None = None, before_id: int | None = None, limit: int = 50,
) -> list[Call]:
    """The API's calls list: the calls page's visibility (calls_visible_to), filtered by agent,
    state, the local days [date_from, date_to] the call rang on, and customer; newest id first,
    paged with `before_id` (the last id of the previous page)."""
    qs = calls_visible_to(viewer)
    if agent_id is not None:
        qs = qs.filter(agent_id=agent_id)
    if state:
        qs = qs.filter(state=state)
    tz = timezone.get_current_timezone()
    if date_from is not None:
        qs = qs.filter(ringing_at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to is not None:
        qs = qs.filter(ringing_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz))
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    return list(qs.order_by("-id")[: max(1, min(limit, 200))])


def calls_of_ticket(*, ticket_id: int) -> list[Call]:
    """The ticket page's call records (the page has checked the ticket is visible)."""
    return list(Call.objects.filter(ticket_id=ticket_id).select_related("agent").order_by("ringing_at", "id")[:50])


def sms_of_ticket(*, ticket_id: int) -> list[SmsMessage]:
    return list(SmsMessage.objects.filter(ticket_id=ticket_id).order_by("created_at", "id")[:100])


def may_play_recording(user: User) -> bool:
    """Recordings: supervisors and QA (quality inspection), and agents for calls they took."""
    return bool(user.is_authenticated and user.is_active and (user.is_supervising or user.role == "qa"))


@dataclass(frozen=True)
class PopTicket:
    number: str
    title: str
    status: str
    url: str


def pop_card(*, call: Call, viewer: User) -> dict[str, Any]:
    """What the agent's browser shows when the call rings (来电弹屏): the caller's customer card
    (tier, VIP, dissatisfied flag), open tickets and last contacts the viewer may see, and the
    one-click "new ticket from this call". Numbers are masked unless the viewer may see contacts."""
    customer = call.customer
    card: dict[str, Any] = {
        "call": call.pk,
        "call_id": call.call_id,
        "caller": show_phone(call.caller, viewer),
        "queue": call.queue,
        "state": call.state,
        "ringing_at": call.ringing_at.isoformat(),
        "url": reverse("channels:call", args=[call.pk]),
        "new_ticket_url": reverse("channels:call_ticket", args=[call.pk]),
        "ticket": None,
        "customer": None,
        "open_tickets": [],
        "last_contacts": [],
    }
    if call.ticket_id and call.ticket is not None:
        card["ticket"] = {"number": call.ticket.number, "url": reverse("tickets:detail", args=[call.ticket.number])}
    if customer is None:
        return card  # an unknown number: "new ticket from this call" also opens the customer
    view = contact_view(customer=customer, viewer=viewer)
    card["customer"] = {
        "id": customer.pk,
        "name": customer.name,
        "tier": customer.tier.name if customer.tier_id and customer.tier else "",
        "vip": customer.is_vip,
        "phone": view.primary_phone,
        "dissatisfied": customer.pk in dissatisfied_customer_ids([customer.pk]),
        "url": reverse("customers:detail", args=[customer.pk]),
    }
    visible = tickets_visible_to(viewer).filter(customer_id=customer.pk)
    card["open_tickets"] = [
        {"number": t.number, "title": t.title, "status": t.get_status_display(), "url": reverse("tickets:detail", args=[t.number])}
        for t in visible.filter(status__in=OPEN_STATUSES).order_by("-updated_at")[:CARD_TICKETS]
    ]
    contacts: list[dict[str, Any]] = [
        {"at": c.ringing_at.isoformat(), "channel": "phone", "what": c.get_state_display()}
        for c in Call.objects.filter(customer_id=customer.pk).exclude(pk=call.pk).order_by("-ringing_at")[:CARD_CONTACTS]
    ]
    contacts += [
        {"at": t.created_at.isoformat(), "channel": t.channel, "what": t.title}
        for t in visible.order_by("-created_at")[:CARD_CONTACTS]
    ]
    card["last_contacts"] = sorted(contacts, key=lambda c: c["at"], reverse=True)[:CARD_CONTACTS]
    return card


def call_handle_rows(*, start: datetime, end: datetime) -> list[tuple[int, int | None, int]]:
    """(agent id, agent's team id, handling seconds) of every answered call that ended in
    [start, end): the real handling times AHT is computed from."""
    return [
        (a, t, talk + hold + wrap)
        for a, t, talk, hold, wrap in Call.objects.filter(
            ended_at__gte=start, ended_at__lt=end, state=CallState.ENDED, agent__isnull=False, answered_at__isnull=False
        ).values_list("agent_id", "agent__team_id", "talk_seconds", "hold_seconds", "wrap_seconds")
    ]


def call_contacts_failed(limit: int = 50) -> list[Contact]:
    return list(Contact.objects.filter(channel="cti", status="failed").order_by("-received_at")[:limit])


def now() -> datetime:
    return timezone.now()
