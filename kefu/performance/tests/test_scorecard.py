from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.core.clock import load_jobs, run_pass
from kefu.core.errors import DomainError
from kefu.performance import metrics as M
from kefu.performance import scorecard as S
from kefu.performance import selectors, services
from kefu.performance.models import MetricRollup, RollupClock, ScorecardPlan
from kefu.performance.periods import Period
from kefu.performance.tests.conftest import at, t
from kefu.tickets.choices import TicketStatus
from kefu.tickets.services import ticket_change_status

pytestmark = pytest.mark.django_db
OCT = Period.parse("2026-10")


def test_indicator_scores_and_ranking():
    inds = [S.Indicator("csat", 50, 90, True), S.Indicator("complaint_rate", 50, 20, False)]
    assert S.indicator_score(inds[0], 85) == 94.4
    assert S.indicator_score(inds[1], 25) == 80.0
    assert S.indicator_score(inds[1], 0) == 120.0
    assert S.indicator_score(inds[0], 200) == 120.0
    rs = [
        S.Result(1, "a", "", {"csat": 90, "complaint_rate": 20}),  # 100
        S.Result(2, "b", "", {"csat": 81, "complaint_rate": None}),  # 90 (csat alone)
        S.Result(3, "c", "", {"csat": 90, "complaint_rate": 20}),  # 100, shares rank 1
        S.Result(4, "d", "", {"csat": 45, "complaint_rate": 40}),  # 50
        S.Result(5, "e", "", {"csat": None, "complaint_rate": None}),  # unranked
    ]
    out = S.score(rs, inds, top_share=20)
    assert [(r.name, r.total, r.rank, r.top) for r in out] == [
        ("a", 100.0, 1, True), ("c", 100.0, 1, True), ("b", 90.0, 3, False), ("d", 50.0, 4, False), ("e", None, None, False),
    ]


def test_default_plan_has_twelve_indicators_summing_to_100():
    plan = ScorecardPlan.objects.get(name="坐席月度绩效")
    assert plan.indicators.count() == 12
    assert sum(float(i.weight) for i in plan.indicators.all()) == 100


def test_month_results_lock_and_changes(world, manager_mike, agent_alice, lead_linda):
    plan = ScorecardPlan.objects.get(name="坐席月度绩效")
    with at("2026-11-03 09:00"):
        view = selectors.scorecard(user=manager_mike, plan=plan, month=OCT)
        by_name = {r.name: r for r in view.results}
        assert by_name["艾丽丝"].values["fcr"] == 66.7 and by_name["鲍勃"].values["fcr"] == 50.0
        assert sum(r.top for r in view.results) == 1  # 20 % of 3 ranked agents, rounded up
        with pytest.raises(DomainError):
            services.scorecard_month_lock(actor=agent_alice, plan_id=plan.pk, month=OCT)
        with pytest.raises(DomainError):
            services.scorecard_month_lock(actor=manager_mike, plan_id=plan.pk, month=Period.parse("2026-11"))
        services.scorecard_month_lock(actor=manager_mike, plan_id=plan.pk, month=OCT)
        with pytest.raises(DomainError):
            services.scorecard_month_lock(actor=manager_mike, plan_id=plan.pk, month=OCT)
    # Later, B is reopened: October's live numbers move, the locked month does not.
    with at("2026-11-04 09:00"):
        ticket_change_status(actor=world.alice, number=world.tickets["B"].number, status=TicketStatus.IN_PROGRESS)
        view = selectors.scorecard(user=manager_mike, plan=plan, month=OCT)
    alice = next(r for r in view.results if r.name == "艾丽丝")
    assert alice.values["tickets_resolved"] == 3  # frozen
    assert {"agent_id": world.alice.pk, "name": "艾丽丝", "metric": "tickets_resolved", "frozen": 3, "live": 2} in view.changes
    # Visibility: alice sees her own row (and the team average), linda her team.
    with at("2026-11-04 09:00"):
        mine = selectors.scorecard(user=agent_alice, plan=plan, month=OCT)
        team = selectors.scorecard(user=lead_linda, plan=plan, month=OCT)
    assert [r.agent_id for r in mine.results] == [agent_alice.pk]
    assert {r.agent_id for r in team.results} == {world.alice.pk, world.bob.pk}
    assert all(c["agent_id"] == agent_alice.pk for c in mine.changes)


def test_rollups_equal_live_definitions_and_are_idempotent(world):
    with at("2026-11-03 09:00"):
        services.rollup_refresh(OCT)
        first = {(r.group, r.key): (r.values, r.counts) for r in MetricRollup.objects.filter(period_key="2026-10")}
        services.rollup_refresh(OCT)
        again = {(r.group, r.key): (r.values, r.counts) for r in MetricRollup.objects.filter(period_key="2026-10")}
    assert first == again
    for group in ("all", "agent", "team"):
        live = M.compute(metrics=list(M.METRICS), period=OCT, group=group)
        stored = selectors._from_rollup(OCT, group, list(M.METRICS), M.EVERYTHING)
        assert stored is not None
        assert {r.key: r.values for r in stored.rows} == {r.key: r.values for r in live.rows}
        assert stored.total.values == live.total.values


def test_clock_refreshes_incrementally(world):
    clock = RollupClock.objects.get(name="rollup")
    RollupClock.objects.filter(pk=clock.pk).update(due_at=t("2026-11-03 08:00"))
    load_jobs()
    with time_machine.travel(t("2026-11-03 09:00"), tick=False):
        run_pass()
    keys = set(MetricRollup.objects.values_list("period_kind", "period_key").distinct())
    assert ("month", "2026-10") in keys and ("month", "2026-11") in keys and ("week", "2026-W45") in keys
    assert ("month", "2026-09") not in keys
    clock.refresh_from_db()
    assert clock.due_at == t("2026-11-03 09:00") + services.ROLLUP_EVERY
    # A second clock with the old due time claims nothing.
    assert services.rollup_tick(clock_id=clock.pk, due_at=t("2026-11-03 08:00")) is False


def test_rollup_read_is_one_query(world, manager_mike):
    with at("2026-11-03 09:00"):
        services.rollup_refresh(OCT, groups=("all",))
    with CaptureQueriesContext(connection) as ctx:
        table = selectors.metric_table(user=manager_mike, metrics=["fcr"], period=OCT, group="all")
    assert table.total.values["fcr"] == 66.7
    assert len(ctx.captured_queries) <= 2
