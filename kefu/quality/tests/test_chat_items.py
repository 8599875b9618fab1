from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kefu.chat import services as chat
from kefu.quality import services
from kefu.quality.chat_items import capture_ended_chats, item_capture_chat
from kefu.quality.choices import ContactKind
from kefu.quality.results import qa_total
from kefu.quality.tests.conftest import scores


def _chat(agent):
    visitor = chat.visitor_start(name="王女士")
    conv, _new = chat.conversation_open(visitor=visitor)
    chat.visitor_send(visitor=visitor, conversation_id=conv.pk, body="人工")
    chat.conversation_accept(actor=agent, conversation_id=conv.pk)
    chat.agent_send(actor=agent, conversation_id=conv.pk, body="您好，我保证今天退款到账")
    chat.agent_send(actor=agent, conversation_id=conv.pk, body="客户很急", internal=True)
    chat.visitor_send(visitor=visitor, conversation_id=conv.pk, body="好的谢谢")
    return conv


def test_an_ended_chat_becomes_an_inspection_item_and_is_scored_like_a_ticket(card, agent_alice, qa_quinn):
    conv = _chat(agent_alice)
    assert item_capture_chat(conversation_id=conv.pk) is None  # not ended yet
    chat.conversation_end(actor=agent_alice, conversation_id=conv.pk)
    item = item_capture_chat(conversation_id=conv.pk)
    assert (item.kind, item.source_id, item.agent_id, item.team_id) == (
        ContactKind.CHAT, conv.pk, agent_alice.pk, agent_alice.team_id)
    speakers = [t["speaker"] for t in item.turns]
    assert speakers[-3:] == ["agent", "note", "customer"] and "bot" not in speakers
    assert item.turns[-3]["text"] == "您好，我保证今天退款到账" and item.turns[-3]["author"] == agent_alice.name
    assert "promise" in {f["rule"] for f in item.findings}
    assert item_capture_chat(conversation_id=conv.pk).pk == item.pk  # once per conversation
    now = timezone.now()
    assert [i.pk for i in capture_ended_chats(start=now - timedelta(hours=1), end=now + timedelta(hours=1))] == [item.pk]
    services.inspection_submit(actor=qa_quinn, item_id=item.pk, scores=scores(card, 90))
    total = qa_total(start=now - timedelta(hours=1), end=now + timedelta(hours=1), agent_ids=[agent_alice.pk])
    assert (total.inspected, total.pass_rate) == (1, 100.0)
