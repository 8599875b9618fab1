"""How a chat ends (an unresolved chat leaves an open ticket with the transcript; a resolved one
resolves its ticket) and how it is transferred (the receiver's capacity counts their active chats
and pending offers; a team transfer goes to its least busy online agent)."""

from __future__ import annotations

import pytest

from kefu.accounts.choices import Presence, Role
from kefu.accounts.models import Team
from kefu.chat import services
from kefu.chat.choices import ConversationStatus, OfferStatus
from kefu.chat.models import ChatOffer, Conversation
from kefu.core.errors import DomainError
from kefu.tests.factories import UserFactory
from kefu.tickets.choices import Channel, MessageKind, TicketStatus
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _waiting(question: str = "宽带断网了") -> Conversation:
    visitor = services.visitor_start(name="赵女士", phone="13900001111")
    conv, _new = services.conversation_open(visitor=visitor)
    services.visitor_send(visitor=visitor, conversation_id=conv.pk, body=question)
    services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="转人工")
    conv.refresh_from_db()
    assert conv.status == ConversationStatus.WAITING
    return conv


def _active(agent) -> Conversation:  # type: ignore[no-untyped-def]
    conv = _waiting()
    services.conversation_accept(actor=agent, conversation_id=conv.pk)
    services.agent_send(actor=agent, conversation_id=conv.pk, body="您好，我来帮您查一下")
    return conv


# --- the ticket a chat leaves ---------------------------------------------------------------------


def test_an_agent_ending_unresolved_opens_a_ticket_with_the_transcript(agent_alice):
    conv = _active(agent_alice)
    services.agent_send(actor=agent_alice, conversation_id=conv.pk, body="悄悄话：线路问题", internal=True)
    services.conversation_end(actor=agent_alice, conversation_id=conv.pk)
    conv.refresh_from_db()
    assert conv.status == ConversationStatus.ENDED and conv.resolved is False
    ticket = conv.ticket
    assert (
        ticket is not None
        and ticket.channel == Channel.CHAT
        and ticket.status in (TicketStatus.ASSIGNED, TicketStatus.NEW)
    )
    assert ticket.title == "宽带断网了"  # the first real question, not "转人工"
    assert ticket.assignee == agent_alice and ticket.contact_phone
    assert "宽带断网了" in ticket.description and "您好，我来帮您查一下" in ticket.description
    assert "线路问题" not in ticket.description  # whispers stay inside


def test_the_visitor_leaving_before_anyone_answered_leaves_a_routed_ticket(agent_alice, front_team):
    conv = _waiting()
    services.visitor_end(visitor=conv.visitor, conversation_id=conv.pk)
    conv.refresh_from_db()
    ticket = conv.ticket
    assert ticket is not None and ticket.channel == Channel.CHAT
    assert ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    assert ticket.team == front_team and "宽带断网了" in ticket.description
    assert ChatOffer.objects.get(conversation=conv).status == OfferStatus.WITHDRAWN


def test_the_visitor_leaving_an_active_chat_leaves_the_agents_ticket(agent_alice):
    conv = _active(agent_alice)
    services.visitor_end(visitor=conv.visitor, conversation_id=conv.pk)
    conv.refresh_from_db()
    assert conv.ticket is not None and conv.ticket.assignee == agent_alice
    assert conv.ticket.status in (TicketStatus.ASSIGNED, TicketStatus.NEW)


def test_an_existing_ticket_stays_open_and_gets_the_whole_transcript(agent_alice):
    conv = _active(agent_alice)
    ticket = services.conversation_to_ticket(actor=agent_alice, conversation_id=conv.pk)
    services.visitor_send(visitor=conv.visitor, conversation_id=conv.pk, body="那什么时候能修好")
    services.conversation_end(actor=agent_alice, conversation_id=conv.pk)
    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    note = ticket.messages.get(kind=MessageKind.NOTE)
    assert "那什么时候能修好" in note.body  # said after the ticket was made


def test_a_resolved_chat_resolves_its_ticket_and_one_without_opens_none(agent_alice):
    conv = _active(agent_alice)
    ticket = services.conversation_to_ticket(actor=agent_alice, conversation_id=conv.pk)
    services.conversation_end(actor=agent_alice, conversation_id=conv.pk, resolved=True)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    assert Conversation.objects.get(pk=conv.pk).resolved is True

    quick = _active(agent_alice)
    services.conversation_end(actor=agent_alice, conversation_id=quick.pk, resolved=True)
    quick.refresh_from_db()
    assert quick.ticket is None and Ticket.objects.count() == 1


def test_a_chat_the_bot_kept_leaves_no_ticket_and_ending_twice_opens_one(agent_alice):
    visitor = services.visitor_start()
    conv, _new = services.conversation_open(visitor=visitor)
    services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="你好")
    services.visitor_end(visitor=visitor, conversation_id=conv.pk)
    assert Ticket.objects.count() == 0

    active = _active(agent_alice)
    services.conversation_end(actor=agent_alice, conversation_id=active.pk)
    services.conversation_end(actor=agent_alice, conversation_id=active.pk)  # a second click
    services.visitor_end(visitor=active.visitor, conversation_id=active.pk)
    assert Ticket.objects.count() == 1


def test_the_offline_form_leaves_just_its_own_ticket(front_team):
    visitor = services.visitor_start()
    conv, _new = services.conversation_open(visitor=visitor)
    services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="转人工")
    services.offline_message(
        visitor=visitor, conversation_id=conv.pk, name="钱先生", phone="13900001111", body="请回电"
    )
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)


# --- transfer and the receiver's capacity -----------------------------------------------------------


def test_transfer_counts_the_receivers_active_chats_and_pending_offers(agent_alice, teammate_bob):
    conv = _active(agent_alice)
    services.chat_set_capacity(actor=teammate_bob, capacity=1)
    # Bob is offered a chat (alice is full at capacity 1 too): his one slot is taken by the offer.
    services.chat_set_capacity(actor=agent_alice, capacity=1)
    other = _waiting("发票怎么开")
    assert ChatOffer.objects.get(conversation=other, status=OfferStatus.PENDING).agent == teammate_bob
    with pytest.raises(DomainError) as exc:
        services.conversation_transfer(actor=agent_alice, conversation_id=conv.pk, to_user_id=teammate_bob.pk)
    assert (exc.value.code, exc.value.status) == ("at_capacity", 409)
    services.offer_decline(actor=teammate_bob, conversation_id=other.pk)
    services.conversation_transfer(
        actor=agent_alice, conversation_id=conv.pk, to_user_id=teammate_bob.pk, note="宽带"
    )
    conv.refresh_from_db()
    assert conv.assignee == teammate_bob
    # Now bob holds one chat at capacity 1: alice cannot hand him another.
    services.chat_set_capacity(actor=agent_alice, capacity=2)
    second = _waiting("改套餐")
    services.conversation_accept(actor=agent_alice, conversation_id=second.pk)
    with pytest.raises(DomainError) as exc:
        services.conversation_transfer(
            actor=agent_alice, conversation_id=second.pk, to_user_id=teammate_bob.pk
        )
    assert exc.value.code == "at_capacity"
    assert Conversation.objects.get(pk=second.pk).assignee == agent_alice  # nothing moved


def test_transfer_to_someone_offline_or_who_takes_no_chats_is_refused(agent_alice, front_team):
    conv = _active(agent_alice)
    away = UserFactory(username="away", team=front_team, presence=Presence.OFFLINE)
    qa = UserFactory(username="qa", team=front_team, role=Role.QA, presence=Presence.ONLINE)
    with pytest.raises(DomainError) as exc:
        services.conversation_transfer(actor=agent_alice, conversation_id=conv.pk, to_user_id=away.pk)
    assert (exc.value.code, exc.value.status) == ("agent_offline", 409)
    with pytest.raises(DomainError) as exc:
        services.conversation_transfer(actor=agent_alice, conversation_id=conv.pk, to_user_id=qa.pk)
    assert exc.value.code == "no_such_agent"
    with pytest.raises(DomainError) as exc:
        services.conversation_transfer(actor=agent_alice, conversation_id=conv.pk, to_user_id=agent_alice.pk)
    assert exc.value.code == "no_such_agent"


def test_transfer_to_a_team_goes_to_its_least_busy_agent_with_a_free_slot(agent_alice, front_team):
    billing = Team.objects.create(name="账务组")
    busy = UserFactory(username="busy", display_name="忙碌", team=billing, presence=Presence.ONLINE)
    free = UserFactory(username="free", display_name="空闲", team=billing, presence=Presence.ONLINE)
    services.chat_set_capacity(actor=busy, capacity=0)
    conv = _active(agent_alice)
    services.conversation_transfer(
        actor=agent_alice, conversation_id=conv.pk, to_team_id=billing.pk, note="账单"
    )
    conv.refresh_from_db()
    assert conv.assignee == free
    assert conv.messages.filter(internal=True, body__contains="账单").exists()

    services.chat_set_capacity(actor=free, capacity=1)
    other = _active(agent_alice)
    with pytest.raises(DomainError) as exc:
        services.conversation_transfer(actor=agent_alice, conversation_id=other.pk, to_team_id=billing.pk)
    assert (exc.value.code, exc.value.status) == ("at_capacity", 409)
    with pytest.raises(DomainError) as exc:
        services.conversation_transfer(actor=agent_alice, conversation_id=other.pk, to_team_id=999_999)
    assert exc.value.code == "no_such_team"
