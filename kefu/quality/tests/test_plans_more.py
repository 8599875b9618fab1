from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.conftest import login
from kefu.core.errors import DomainError
from kefu.quality import sampling
from kefu.quality.choices import DrawReason
from kefu.quality.models import Inspection, PlanEntry, SamplingPlan
from kefu.quality.tests.conftest import closed_ticket
from kefu.tickets.models import Ticket


def test_slowest_is_the_top_share_longest_first_ties_by_id():
    handling = {1: 10.0, 2: 50.0, 3: 50.0, 4: 5.0, 5: 40.0, 6: 1.0, 7: 2.0, 8: 3.0, 9: 4.0, 10: 6.0}
    assert sampling.slowest(handling, 90) == {2}
    assert sampling.slowest(handling, 80) == {2, 3}
    assert sampling.slowest(handling, 75) == {2, 3, 5}  # ceil(10 × 25%) = 3
    assert sampling.slowest({}, 90) == set() and sampling.slowest(handling, 100) == set()


def _window():
    now = timezone.now()
    return now - timedelta(days=1), now + timedelta(days=1)


def test_slow_rule_draws_the_slowest_tenth_deterministically(card, manager_mike, agent_alice, teammate_bob, qa_quinn):
    tickets = [closed_ticket(agent_alice if i % 2 else teammate_bob) for i in range(20)]
    now = timezone.now()
    for i, t in enumerate(tickets):  # handling time grows with i: the last two are the slowest 10%
        Ticket.objects.filter(pk=t.pk).update(created_at=now - timedelta(hours=i + 1))
    v, _, _ = card
    with pytest.raises(DomainError):
        sampling.plan_save(actor=manager_mike, name="慢", scorecard_id=v.scorecard_id, rules=[DrawReason.SLOW],
                           slow_percentile=100)
    picked = []
    for seed in ("a", "b"):
        plan = sampling.plan_save(actor=manager_mike, name="慢", scorecard_id=v.scorecard_id, random_share="0",
                                  rules=[DrawReason.SLOW], blind_share="0", slow_percentile=90, seed=seed)
        start, end = _window()
        got = sampling.plan_draw(plan_id=plan.pk, actor=manager_mike, start=start, end=end)
        picked.append(sorted(e.item.source_id for e in got.entries))
        assert {e.reason for e in got.entries} == {DrawReason.SLOW}
    assert picked[0] == picked[1] == sorted([tickets[18].pk, tickets[19].pk])


def test_editing_a_plan_changes_later_draws_not_what_was_drawn(
    client, card, manager_mike, qa_lead_lucy, agent_alice, qa_quinn
):
    for _ in range(10):
        closed_ticket(agent_alice)
    v, _, _ = card
    plan = sampling.plan_save(actor=manager_mike, name="月度", scorecard_id=v.scorecard_id, random_share="0.2",
                              blind_share="0", seed="s")
    start, end = _window()
    sampling.plan_draw(plan_id=plan.pk, actor=manager_mike, start=start, end=end)
    before = sorted(PlanEntry.objects.filter(plan=plan).values_list("id", "item_id", "reason", "draw_id"))
    inspections = sorted(Inspection.objects.values_list("id", "item_id", "inspector_id", "version_id", "level"))
    c = login(client, qa_lead_lucy)
    page = c.get(f"/quality/plans/{plan.pk}/edit/").content.decode()
    assert f'data-drawn="{len(before)}"' in page and 'value="月度"' in page
    got = c.post(f"/quality/plans/{plan.pk}/edit/", {
        "name": "月度（改）", "scorecard": v.scorecard_id, "period": "daily", "random_share": "0.5",
        "rules": [DrawReason.SLOW], "blind_share": "0", "blind_threshold": "5", "recheck_share": "0",
        "slow_percentile": "80", "seed": "s", "is_active": "1",
    })
    assert got.status_code == 302
    plan.refresh_from_db()
    assert (plan.name, plan.period, str(plan.random_share), plan.rules, plan.slow_percentile) == (
        "月度（改）", "daily", "0.500", [DrawReason.SLOW], 80)
    assert sorted(PlanEntry.objects.filter(plan=plan).values_list("id", "item_id", "reason", "draw_id")) == before
    assert sorted(Inspection.objects.values_list("id", "item_id", "inspector_id", "version_id", "level")) == inspections
    # bad input: a Chinese form message (toast), nothing changed
    c.post(f"/quality/plans/{plan.pk}/edit/", {"name": "", "scorecard": v.scorecard_id, "random_share": "2"})
    assert SamplingPlan.objects.get(pk=plan.pk).name == "月度（改）"
    # the next draw follows the new share (half of alice's 10, plus the slow rule's 2 on top); the
    # contacts drawn before are not drawn again
    again = sampling.plan_draw(plan_id=plan.pk, actor=manager_mike, start=start, end=end)
    assert again.per_agent[agent_alice.pk] >= 5
    assert not {e.item_id for e in again.entries} & {row[1] for row in before}
    assert PlanEntry.objects.filter(plan=plan).count() == len(before) + len(again.entries)
    assert login(client, qa_quinn).get(f"/quality/plans/{plan.pk}/edit/").status_code == 404
