"""Offers: a waiting chat is offered to one agent (a VIP's account manager first, else the least
busy online agent with a free slot), who accepts or declines; an offer nobody answers runs out on
the clock and goes to the next agent; an agent at capacity gets no offer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

import kefu.chat.clock  # noqa: F401  (the jobs register on import)
from kefu.accounts.choices import Presence, Role
from kefu.accounts.services import user_set_presence
from kefu.chat import services
from kefu.chat.choices import ConversationStatus, OfferReason, OfferStatus
from kefu.chat.models import ChatOffer, Conversation
from kefu.chat.offers import AgentSlot, pick
from kefu.core.clock import jobs, run_pass
from kefu.core.errors import DomainError
from kefu.tests.factories import CustomerFactory, UserFactory

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("agents", "manager", "passed", "expected"),
    [
        # the least loaded first; among equals the one idle longest (never accepted comes first)
        ([AgentSlot(1, 3, 1, 0, T0), AgentSlot(2, 3, 0, 0, T0)], None, (), (2, OfferReason.LEAST_BUSY)),
        (
            [AgentSlot(1, 3, 0, 0, T0 + timedelta(minutes=5)), AgentSlot(2, 3, 0, 0, T0)],
            None,
            (),
            (2, OfferReason.LEAST_BUSY),
        ),
        ([AgentSlot(1, 3, 0, 0, T0), AgentSlot(2, 3, 0, 0, None)], None, (), (2, OfferReason.LEAST_BUSY)),
        # pending offers count as load; a full agent gets nothing
        ([AgentSlot(1, 2, 1, 1, None), AgentSlot(2, 3, 1, 1, T0)], None, (), (2, OfferReason.LEAST_BUSY)),
        ([AgentSlot(1, 2, 2, 0, None), AgentSlot(2, 0, 0, 0, None)], None, (), None),
        # the account manager even when busier, unless full or they passed on it
        ([AgentSlot(1, 3, 0, 0, None), AgentSlot(2, 3, 2, 0, T0)], 2, (), (2, OfferReason.ACCOUNT_MANAGER)),
        ([AgentSlot(1, 3, 0, 0, None), AgentSlot(2, 2, 2, 0, T0)], 2, (), (1, OfferReason.LEAST_BUSY)),
        ([AgentSlot(1, 3, 1, 0, None), AgentSlot(2, 3, 0, 0, T0)], 2, (2,), (1, OfferReason.LEAST_BUSY)),
        ([AgentSlot(1, 3, 0, 0, None)], 9, (1,), None),  # manager offline, the only other one passed
    ],
)
def test_pick(agents, manager, passed, expected):  # type: ignore[no-untyped-def]
    assert pick(agents, manager_id=manager, passed=frozenset(passed)) == expected


def _waiting(phone: str = "") -> Conversation:
    visitor = services.visitor_start(phone=phone)
    conv, _new = services.conversation_open(visitor=visitor)
    services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="转人工")
    conv.refresh_from_db()
    assert conv.status == ConversationStatus.WAITING
    return conv


def _pending(conv: Conversation) -> ChatOffer | None:
    return ChatOffer.objects.filter(conversation=conv, status=OfferStatus.PENDING).first()


@pytest.mark.django_db
def test_a_chat_is_offered_to_one_agent_and_a_decline_passes_it_on(agent_alice, teammate_bob):
    conv = _waiting()
    first = _pending(conv)
    assert first is not None and first.reason == OfferReason.LEAST_BUSY
    assert first.due_at is not None and (first.due_at - first.offered_at).total_seconds() == 30
    other = teammate_bob if first.agent_id == agent_alice.pk else agent_alice
    services.offer_decline(actor=first.agent, conversation_id=conv.pk)
    second = _pending(conv)
    assert second is not None and second.agent_id == other.pk
    with pytest.raises(DomainError) as exc:  # no offer to decline any more
        services.offer_decline(actor=first.agent, conversation_id=conv.pk)
    assert (exc.value.code, exc.value.status) == ("no_offer", 409)
    services.offer_decline(actor=other, conversation_id=conv.pk)
    assert _pending(conv) is None  # both passed: it waits in the queue, anyone may still take it
    services.conversation_accept(actor=agent_alice, conversation_id=conv.pk)
    assert Conversation.objects.get(pk=conv.pk).status == ConversationStatus.ACTIVE


@pytest.mark.django_db
def test_an_offer_not_accepted_in_time_goes_to_the_next_agent_on_the_clock(agent_alice, teammate_bob):
    conv = _waiting()
    first = _pending(conv)
    assert first is not None and first.due_at is not None
    job = [j for j in jobs() if j.name == "chat_offer"]
    assert run_pass(job_list=job, now=first.due_at - timedelta(seconds=1)).handled == 0
    assert run_pass(job_list=job, now=first.due_at).handled == 1
    first.refresh_from_db()
    assert (first.status, first.due_at) == (OfferStatus.EXPIRED, None)
    second = _pending(conv)
    assert second is not None and second.agent_id != first.agent_id
    # The second agent accepts: the offer is theirs and closes as accepted.
    services.conversation_accept(actor=second.agent, conversation_id=conv.pk)
    second.refresh_from_db()
    assert second.status == OfferStatus.ACCEPTED and second.due_at is None
    assert run_pass(job_list=job, now=timezone.now() + timedelta(hours=1)).handled == 0


@pytest.mark.django_db(transaction=True)  # the queue drains after commit
def test_an_agent_at_capacity_gets_no_offer_and_a_freed_slot_offers_the_queue(agent_alice):
    services.chat_set_capacity(actor=agent_alice, capacity=1)
    c1 = _waiting()
    assert _pending(c1).agent_id == agent_alice.pk  # type: ignore[union-attr]
    c2 = _waiting()
    assert _pending(c2) is None  # her one slot is taken by the offer
    services.conversation_accept(actor=agent_alice, conversation_id=c1.pk)
    assert _pending(c2) is None  # and now by the chat
    services.conversation_end(actor=agent_alice, conversation_id=c1.pk)
    offer = _pending(c2)
    assert offer is not None and offer.agent_id == agent_alice.pk  # the slot came free: c2 is offered
    services.conversation_accept(actor=agent_alice, conversation_id=c2.pk)
    c3 = _waiting()
    assert _pending(c3) is None
    services.chat_set_capacity(actor=agent_alice, capacity=2)  # raising the capacity drains the queue
    assert _pending(c3).agent_id == agent_alice.pk  # type: ignore[union-attr]


@pytest.mark.django_db(transaction=True)
def test_vip_goes_to_the_account_manager_first_and_others_offline_or_qa_get_nothing(front_team, agent_alice):
    manager = UserFactory(username="am", display_name="客户经理", team=front_team, presence=Presence.ONLINE)
    UserFactory(username="qa1", team=front_team, role=Role.QA, presence=Presence.ONLINE)
    away = UserFactory(username="away", team=front_team, presence=Presence.OFFLINE)
    CustomerFactory(name="钻石客户", phones=["13800002222"], is_vip=True, account_manager=manager)
    conv = _waiting(phone="13800002222")
    offer = _pending(conv)
    assert offer is not None and (offer.agent_id, offer.reason) == (manager.pk, OfferReason.ACCOUNT_MANAGER)
    services.offer_decline(actor=manager, conversation_id=conv.pk)
    assert _pending(conv).agent_id == agent_alice.pk  # type: ignore[union-attr]
    services.offer_decline(actor=agent_alice, conversation_id=conv.pk)
    assert _pending(conv) is None  # not the QA inspector, not the one offline
    user_set_presence(actor=away, user=away, presence=Presence.ONLINE)
    assert _pending(conv).agent_id == away.pk  # type: ignore[union-attr]  # coming online drains the queue


@pytest.mark.django_db
def test_taking_a_chat_from_the_queue_withdraws_the_other_agents_offer_and_ending_withdraws_it_too(
    agent_alice, teammate_bob
):
    conv = _waiting()
    offer = _pending(conv)
    assert offer is not None
    other = teammate_bob if offer.agent_id == agent_alice.pk else agent_alice
    services.conversation_accept(actor=other, conversation_id=conv.pk)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    c2 = _waiting()
    o2 = _pending(c2)
    assert o2 is not None
    services.visitor_end(visitor=c2.visitor, conversation_id=c2.pk)
    o2.refresh_from_db()
    assert o2.status == OfferStatus.WITHDRAWN


@pytest.mark.django_db
def test_transfer_respects_the_receivers_capacity(agent_alice, teammate_bob):
    conv = _waiting()
    services.conversation_accept(actor=agent_alice, conversation_id=conv.pk)
    services.chat_set_capacity(actor=teammate_bob, capacity=0)
    with pytest.raises(DomainError) as exc:
        services.conversation_transfer(actor=agent_alice, conversation_id=conv.pk, to_user_id=teammate_bob.pk)
    assert exc.value.code == "at_capacity"


@pytest.mark.django_db
def test_the_first_response_limit_is_met_by_a_reply_or_breached_on_the_clock(agent_alice, settings):
    settings.KEFU_CHAT_FIRST_RESPONSE_SECONDS = 45
    late = _waiting()
    assert late.sla_state == "running"
    assert late.first_response_due_at == late.waiting_since + timedelta(seconds=45)  # type: ignore[operator]
    job = [j for j in jobs() if j.name == "chat_first_response"]
    assert run_pass(job_list=job, now=timezone.now()).handled == 0
    past = timezone.now() - timedelta(seconds=1)  # as if the 45 seconds had gone by
    Conversation.objects.filter(pk=late.pk).update(first_response_due_at=past, sla_due_at=past)
    assert run_pass(job_list=job, now=timezone.now()).handled == 1
    late.refresh_from_db()
    assert late.sla_state == "late"
    services.conversation_accept(actor=agent_alice, conversation_id=late.pk)
    services.agent_send(actor=agent_alice, conversation_id=late.pk, body="抱歉久等", internal=False)
    late.refresh_from_db()
    assert late.sla_state == "breached"  # answered, but after the limit

    quick = _waiting()
    services.conversation_accept(actor=agent_alice, conversation_id=quick.pk)
    services.agent_send(actor=agent_alice, conversation_id=quick.pk, body="悄悄话", internal=True)
    assert Conversation.objects.get(pk=quick.pk).sla_state == "running"  # a whisper is no answer
    services.agent_send(actor=agent_alice, conversation_id=quick.pk, body="您好")
    quick.refresh_from_db()
    assert quick.sla_state == "met" and quick.sla_due_at is None
    assert run_pass(job_list=job, now=timezone.now() + timedelta(hours=1)).handled == 0
