"""Table tests of the KPI definitions over the October 2026 world of conftest.py (hand-computed)."""

from __future__ import annotations

from datetime import date

import pytest

from kefu.performance.metrics import METRICS, TOTAL, Scope, compute, drill_ticket_ids, percentile
from kefu.performance.periods import Period, PeriodError
from kefu.surveys.models import Survey, SurveyTemplate

pytestmark = pytest.mark.django_db

OCT = Period.parse("2026-10")
SEP = Period.parse("2026-09")


def by_agent(world, metrics, period=OCT, **kw):
    table = compute(metrics=metrics, period=period, group="agent", **kw)
    people = {"alice": world.alice, "bob": world.bob, "charlie": world.charlie}
    out = {name: table.row(str(u.pk)) for name, u in people.items()}
    return {name: (row.values if row else None) for name, row in out.items()}, table.total.values


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-10-03", date(2026, 10, 3), date(2026, 10, 4)),
        ("2026-W41", date(2026, 10, 5), date(2026, 10, 12)),
        ("2026-10", date(2026, 10, 1), date(2026, 11, 1)),
        ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("2026", date(2026, 1, 1), date(2027, 1, 1)),
        ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
    ],
)
def test_periods_parse(text, start, end):
    p = Period.parse(text)
    assert (p.start, p.end) == (start, end)
    assert Period.parse(p.key) == p


@pytest.mark.parametrize("text", ["", "2026-13", "2026-W54", "2026-Q5", "yesterday", "2026-02-30"])
def test_bad_periods(text):
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_period_shift_and_range():
    assert Period.parse("2026-01").shift(-1).key == "2025-12"
    assert [p.key for p in Period.parse("2026-W01").last(3)] == ["2025-W51", "2025-W52", "2026-W01"]
    with pytest.raises(PeriodError):
        Period.range(date(2026, 10, 5), date(2026, 10, 4))
    assert Period.range(date(2026, 10, 1), date(2026, 10, 31)).bounds() == OCT.bounds()


def test_percentile():
    assert percentile([10, 20, 30, 40], 50) == 25
    assert percentile(list(range(1, 11)), 90) == 9.1
    assert percentile([7], 90) == 7
    assert percentile([], 50) is None


def test_counts_and_tickets_spanning_periods(world):
    agents, total = by_agent(world, ["contacts_handled", "tickets_resolved"])
    assert agents["alice"] == {"contacts_handled": 2, "tickets_resolved": 3}  # A was created in September
    assert agents["bob"] == {"contacts_handled": 2, "tickets_resolved": 2}
    assert agents["charlie"] == {"contacts_handled": 2, "tickets_resolved": 1}
    assert total == {"contacts_handled": 6, "tickets_resolved": 6}
    agents, total = by_agent(world, ["contacts_handled", "tickets_resolved"], period=SEP)
    assert agents["alice"] == {"contacts_handled": 1, "tickets_resolved": None}
    assert total["contacts_handled"] == 2  # A and K


def test_first_response_in_business_time_with_holidays_and_makeup_day(world):
    agents, total = by_agent(world, ["first_response_median", "first_response_p90"])
    # alice: A 150 (09-30 16–18 + 10-08 09:00–09:30 after the National Day holidays), B 60 (调休 Saturday), E 10
    assert agents["alice"] == {"first_response_median": 60, "first_response_p90": 132}
    assert agents["bob"] == {"first_response_median": 45, "first_response_p90": 57}  # C 60, D 30
    assert agents["charlie"]["first_response_median"] == 5
    # all: 5, 10, 30, 60, 60, 150
    assert total == {"first_response_median": 45, "first_response_p90": 105}


def test_resolution_time_pauses_and_reopen(world):
    agents, total = by_agent(world, ["resolution_median", "resolution_p90"])
    assert agents["alice"]["resolution_median"] == 90  # A 180, B 90, E 20
    # C: 60 before the pause + 60 after the customer's answer; D: 60 + 60, the resolved hours don't count
    assert agents["bob"] == {"resolution_median": 120, "resolution_p90": 120}
    assert total["resolution_median"] == 105  # 10, 20, 90, 120, 120, 180


def test_fcr_reopen_transfer(world):
    agents, total = by_agent(world, ["fcr", "reopen_rate", "transfer_rate", "bounce_rate"])
    assert agents["alice"]["fcr"] == 66.7  # E is followed by F (same customer and category) within 7 days
    assert agents["bob"]["fcr"] == 50.0  # D was reopened
    assert agents["charlie"]["fcr"] == 100.0  # G: F came earlier and is another category
    assert agents["bob"]["reopen_rate"] == 50.0
    assert total["fcr"] == 66.7 and total["reopen_rate"] == 16.7
    assert total["transfer_rate"] == 0.0 and total["bounce_rate"] == 0.0


def test_fcr_window_is_configurable(world):
    # With a 1-day window F (2 days after E) no longer counts against E.
    table = compute(metrics=["fcr"], period=OCT, group="agent", fcr_days=1)
    assert table.row(str(world.alice.pk)).values["fcr"] == 100.0


def test_complaints(world):
    agents, total = by_agent(world, ["complaint_rate", "repeat_complaint_rate"])
    assert agents["charlie"] == {"complaint_rate": 500.0, "repeat_complaint_rate": 100.0}  # F after K
    assert total["complaint_rate"] == 166.7  # 1 complaint, 6 contacts
    assert agents["alice"]["complaint_rate"] == 0.0


def test_sla_first_response_counts_when_settled(world):
    agents, total = by_agent(world, ["sla_first_response"], period=SEP)
    assert agents["alice"]["sla_first_response"] == 0.0  # A fell due 09-30 18:00 unanswered: a September breach
    agents, total = by_agent(world, ["sla_first_response"])
    # B C D E G met; F (complaint, 7×24 calendar) unanswered and due 10-16 11:00: breached in October
    assert total["sla_first_response"] == 83.3
    assert compute(metrics=["sla_first_response"], period=OCT).total.counts["sla_first_response"] == 6


def test_team_and_scope(world):
    table = compute(metrics=["contacts_handled"], period=OCT, group="team")
    assert {r.label: r.values["contacts_handled"] for r in table.rows} == {"一线客服": 4, "售后": 2}
    mine = compute(metrics=["contacts_handled"], period=OCT, group="agent", scope=Scope(agent_ids=frozenset({world.bob.pk})))
    assert [r.key for r in mine.rows] == [str(world.bob.pk)] and mine.total.values["contacts_handled"] == 2


def test_drill_down(world):
    ids = drill_ticket_ids(metric="fcr", period=OCT, group="agent", key=str(world.alice.pk), scope=Scope())
    assert set(ids) == {world.tickets[n].pk for n in "ABE"}
    ids = drill_ticket_ids(metric="complaint_rate", period=OCT, group="all", key=TOTAL, scope=Scope())
    assert ids == [world.tickets["F"].pk]


def test_csat_nps_response_rate(world):
    template = SurveyTemplate.objects.create(name="t")
    scores = [(5, 10), (4, 9), (2, 3), (None, None)]
    for i, (c, n) in enumerate(scores):
        Survey.objects.create(
            ticket=world.tickets["B"], template=template, agent=world.alice, team=world.alice.team,
            status="answered" if c else "sent", created_at=world.tickets["B"].created_at,
            sent_at=world.tickets["B"].resolved_at, csat=c, nps=n, key=f"k{i}",
        )
    agents, total = by_agent(world, ["csat", "nps", "survey_response_rate"])
    # CSAT 2 of 3 answers are 4–5; NPS (2 promoters − 1 detractor) / 3; 3 of 4 answered
    assert agents["alice"] == {"csat": 66.7, "nps": 33.3, "survey_response_rate": 75.0}
    assert agents["bob"] is None


def test_every_metric_runs_for_every_group(world):
    for group in ("all", "agent", "team", "queue", "category"):
        table = compute(metrics=list(METRICS), period=OCT, group=group)
        assert set(table.total.values) == set(METRICS)


def test_qa_pass_rate_and_average(world, qa_quinn):
    from kefu.quality import services as qa

    v = qa.scorecard_create(actor=qa_quinn, name="热线", pass_mark=60)
    s = qa.scorecard_section_add(actor=qa_quinn, version=v, name="服务态度")
    item = qa.scorecard_item_add(actor=qa_quinn, section=s, name="礼貌用语", points=100)
    qa.scorecard_version_publish(actor=qa_quinn, version=v)
    for name, score in (("A", 90), ("B", 80), ("E", 70), ("C", 50)):
        captured = qa.item_capture_ticket(ticket_id=world.tickets[name].pk)  # contact_at = resolved_at (October)
        qa.inspection_submit(actor=qa_quinn, item_id=captured.pk, scores={str(item.pk): score})
    agents, total = by_agent(world, ["qa_pass_rate", "qa_average"])
    assert total == {"qa_pass_rate": 75.0, "qa_average": 72.5}
    assert agents["alice"] == {"qa_pass_rate": 100.0, "qa_average": 80.0}
    assert agents["bob"] == {"qa_pass_rate": 0.0, "qa_average": 50.0}
    assert by_agent(world, ["qa_average"], period=SEP)[1] == {"qa_average": None}
