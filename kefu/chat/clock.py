"""Chat jobs for `kefu clock` (kefu.core.clock): offers that ran out go to the next agent, and a chat
nobody answered within the first-response time limit turns its badge red."""

from __future__ import annotations

from datetime import timedelta

from kefu.chat.models import ChatOffer, Conversation
from kefu.chat.services import conversation_sla_breach, offer_expire
from kefu.core.clock import Job, register

register(Job(name="chat_offer", model=ChatOffer, due_field="due_at", retry_after=timedelta(seconds=30),
             handle=lambda pk, due_at, now: offer_expire(offer_id=pk, due_at=due_at, now=now)))
register(Job(name="chat_first_response", model=Conversation, due_field="sla_due_at", retry_after=timedelta(seconds=30),
             handle=lambda pk, due_at, now: conversation_sla_breach(conversation_id=pk, due_at=due_at, now=now)))
