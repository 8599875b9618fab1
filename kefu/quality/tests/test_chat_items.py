from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kefu.chat import services as chat
from kefu.core.clock import load_jobs, run_pass
from kefu.quality import sampling, services
from kefu.quality.chat_items import CAPTURE_EVERY, capture_ended_chats, chat_capture_ensure, item_capture_chat
from kefu.quality.choices import ContactKind, DrawReason
from kefu.quality.models import ChatCapture, InspectionItem, PlanEntry
from kefu.quality.results import qa_total
from kefu.quality.tests.conftest import closed_ticket, scores


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


def _quality_clock():
    return [j for j in load_jobs() if j.name == "quality_chat_capture"]


def test_the_clock_captures_ended_chats_without_anyone_asking(agent_alice):
    cursor = chat_capture_ensure()
    assert ChatCapture.objects.count() == 1  # the migration made it; ensuring does not add another
    conv = _chat(agent_alice)
    chat.conversation_end(actor=agent_alice, conversation_id=conv.pk)
    open_conv = _chat(agent_alice)  # still going: not an item
    now = timezone.now() + timedelta(seconds=1)
    ChatCapture.objects.filter(pk=cursor.pk).update(next_run_at=now)
    result = run_pass(job_list=_quality_clock(), now=now)
    assert result.handled == 1
    items = list(InspectionItem.objects.filter(kind=ContactKind.CHAT).values_list("source_id", flat=True))
    assert items == [conv.pk]
    cursor.refresh_from_db()
    assert (cursor.captured_until, cursor.next_run_at) == (now, now + CAPTURE_EVERY)
    # not due again until the next run; then the chat that ended meanwhile is captured, once each
    assert run_pass(job_list=_quality_clock(), now=now).handled == 0
    chat.conversation_end(actor=agent_alice, conversation_id=open_conv.pk)
    later = now + CAPTURE_EVERY
    assert run_pass(job_list=_quality_clock(), now=later).handled == 1
    assert sorted(
        InspectionItem.objects.filter(kind=ContactKind.CHAT).values_list("source_id", flat=True)
    ) == sorted([conv.pk, open_conv.pk])


def test_a_stale_claim_does_nothing(agent_alice):
    from kefu.quality.chat_items import chat_capture_due

    cursor = chat_capture_ensure()
    now = timezone.now()
    assert chat_capture_due(cursor_id=cursor.pk, due_at=now - timedelta(days=400), now=now) is False


def test_sampling_plans_draw_chats_with_tickets(card, manager_mike, agent_alice, teammate_bob, qa_quinn):
    v, _, _ = card
    ticket = closed_ticket(agent_alice)
    conv = _chat(teammate_bob)  # its agent promises a refund: the pre-screen flags it
    chat.conversation_end(actor=teammate_bob, conversation_id=conv.pk)
    quiet = _chat(agent_alice)
    chat.conversation_end(actor=agent_alice, conversation_id=quiet.pk)
    assert not InspectionItem.objects.filter(kind=ContactKind.CHAT).exists()  # the clock has not run yet
    plan = sampling.plan_save(
        actor=manager_mike,
        name="全部",
        scorecard_id=v.scorecard_id,
        random_share="1",
        rules=[DrawReason.FLAGGED],
        blind_share="0",
        seed="s",
    )
    now = timezone.now()
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    got = sampling.plan_draw(plan_id=plan.pk, actor=manager_mike, start=start, end=end)
    drawn = {(e.item.kind, e.item.source_id): e.reason for e in got.entries}
    assert drawn[(ContactKind.CHAT, conv.pk)] == DrawReason.FLAGGED
    assert (ContactKind.CHAT, quiet.pk) in drawn and (ContactKind.TICKET, ticket.pk) in drawn
    assert all(e.item.inspections.filter(inspector=qa_quinn).exists() for e in got.entries)
    # drawn once per plan: a second draw takes nothing again
    assert sampling.plan_draw(plan_id=plan.pk, actor=manager_mike, start=start, end=end).entries == []
    assert PlanEntry.objects.filter(plan=plan).count() == len(drawn)
    # a plan for another channel takes no chats
    phone = sampling.plan_save(
        actor=manager_mike,
        name="电话",
        scorecard_id=v.scorecard_id,
        random_share="1",
        channel="phone",
        blind_share="0",
    )
    kinds = {
        e.item.kind
        for e in sampling.plan_draw(plan_id=phone.pk, actor=manager_mike, start=start, end=end).entries
    }
    assert ContactKind.CHAT not in kinds
