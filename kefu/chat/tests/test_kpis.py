"""Chat KPIs for kefu.performance: first response (hand-over → first agent reply), chat AHT
(accepted → ended), peak concurrent chats and first-reply SLA attainment, per agent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.chat import selectors, services
from kefu.chat.models import Conversation

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def _chat(agent, *, wait: int, first: int | None, ended: int | None, accepted: int = 0) -> Conversation:  # type: ignore[no-untyped-def]
    """A chat handed over at T0+accepted-wait, accepted at T0+accepted, first reply `first` s after
    the hand-over, ended `ended` s after the accept (seconds)."""
    visitor = services.visitor_start()
    conv, _new = services.conversation_open(visitor=visitor)
    since = T0 + timedelta(seconds=accepted - wait)
    acc = T0 + timedelta(seconds=accepted)
    Conversation.objects.filter(pk=conv.pk).update(
        status="ended" if ended is not None else "active",
        assignee=agent,
        waiting_since=since,
        accepted_at=acc,
        first_response_due_at=since + timedelta(seconds=60),
        first_response_at=since + timedelta(seconds=first) if first is not None else None,
        ended_at=acc + timedelta(seconds=ended) if ended is not None else None,
    )
    return conv


def test_chat_kpis_per_agent(agent_alice, teammate_bob):
    _chat(agent_alice, wait=10, first=20, ended=300)  # in time, 5 min
    _chat(agent_alice, wait=30, first=90, ended=120, accepted=60)  # late first reply, overlaps the first
    _chat(agent_alice, wait=5, first=None, ended=None, accepted=400)  # still open, no reply yet
    _chat(teammate_bob, wait=0, first=15, ended=60)
    _chat(teammate_bob, wait=0, first=15, ended=60, accepted=-7200)  # before the period: not counted
    k = selectors.chat_kpis(start=T0 - timedelta(minutes=5), end=T0 + timedelta(hours=1))
    a, b = k[agent_alice.pk], k[teammate_bob.pk]
    assert (a.chats, a.first_response_avg_seconds, a.aht_seconds) == (3, 55.0, 210.0)
    assert a.peak_concurrent == 2  # the first two overlap; the third starts after both ended
    assert a.sla_attainment == 0.5
    assert (b.chats, b.first_response_avg_seconds, b.aht_seconds, b.peak_concurrent, b.sla_attainment) == (
        1,
        15.0,
        60.0,
        1,
        1.0,
    )


def test_a_chat_ending_as_the_next_starts_is_not_two_at_once(agent_alice):
    _chat(agent_alice, wait=0, first=1, ended=60)
    _chat(agent_alice, wait=0, first=1, ended=60, accepted=60)
    rows = selectors.chat_kpi_rows(start=T0, end=T0 + timedelta(hours=1))
    assert selectors.peak_concurrent(rows, until=T0 + timedelta(hours=1)) == {agent_alice.pk: 1}


def test_the_visitors_stars_and_resolved_chats_are_counted_per_agent(agent_alice, teammate_bob):
    """The rating at the end goes through the visitor's own service and lands in the KPIs:
    rated chats, average stars, 满意率 (4-5 stars among the rated) and the resolved share."""
    chats = [_chat(agent_alice, wait=0, first=5, ended=60, accepted=i * 100) for i in range(4)]
    for conv, stars in zip(chats[:3], (5, 4, 2), strict=True):
        services.visitor_rate(visitor=conv.visitor, conversation_id=conv.pk, score=stars)
    Conversation.objects.filter(pk__in=[chats[0].pk, chats[1].pk]).update(resolved=True)
    _chat(teammate_bob, wait=0, first=5, ended=None)  # open, unrated
    k = selectors.chat_kpis(start=T0 - timedelta(minutes=5), end=T0 + timedelta(hours=1))
    a, b = k[agent_alice.pk], k[teammate_bob.pk]
    assert (a.rated, a.rating_avg, a.satisfied_share, a.resolved_share) == (3, 11 / 3, 2 / 3, 0.5)
    assert (b.rated, b.rating_avg, b.satisfied_share, b.resolved_share) == (0, None, None, None)
    row = next(
        r
        for r in selectors.chat_kpi_rows(start=T0, end=T0 + timedelta(hours=1))
        if r.conversation_id == chats[2].pk
    )
    assert (row.rating, row.resolved) == (2, False)
