"""Budget lines: commitments (approved requisitions) and actuals, the 80% alert once per line and
threshold (also under concurrent postings on PostgreSQL), reallocations that conserve the plan total,
the training return view over kefu/performance's KPIs."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from kefu.core.errors import DomainError, Forbidden
from kefu.operations import budget, selectors, stock
from kefu.operations.choices import CostKind
from kefu.operations.models import BudgetEntry, BudgetLine, BudgetReallocation, Material, OpsAlert, Store
from kefu.surveys.models import Survey, SurveyTemplate
from kefu.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

Z = ZoneInfo("Asia/Shanghai")
D = Decimal


@pytest.fixture
def year() -> int:
    return timezone.localdate().year


@pytest.fixture
def materials_line(manager_mike, year) -> BudgetLine:
    return budget.line_create(actor=manager_mike, year=year, cost_kind=CostKind.MATERIALS, plan=D("1000.00"))


@pytest.fixture
def training_line(manager_mike, year) -> BudgetLine:
    return budget.line_create(actor=manager_mike, year=year, cost_kind=CostKind.TRAINING, plan=D("20000.00"), name="新员工培训")


def _alerts() -> list[str]:
    return sorted(OpsAlert.objects.values_list("key", flat=True))


def test_lines_are_for_managers_and_checked(manager_mike, lead_linda, year) -> None:
    with pytest.raises(Forbidden):
        budget.line_create(actor=lead_linda, year=year, cost_kind=CostKind.SYSTEM, plan=D("1"))
    for field, kwargs in [
        ("year", {"year": 1999}), ("cost_kind", {"cost_kind": "party"}), ("plan", {"plan": D("-1")}),
        ("plan", {"plan": D("1.001")}),
    ]:  # fmt: skip
        args = {"year": year, "cost_kind": CostKind.SYSTEM, "plan": D("100")} | kwargs
        with pytest.raises(DomainError) as bad:
            budget.line_create(actor=manager_mike, **args)
        assert bad.value.status == 422 and field in bad.value.fields
    budget.line_create(actor=manager_mike, year=year, cost_kind=CostKind.SYSTEM, plan=D("100"))
    with pytest.raises(DomainError) as bad:
        budget.line_create(actor=manager_mike, year=year, cost_kind=CostKind.SYSTEM, plan=D("100"))
    assert "name" in bad.value.fields


def test_passing_80_percent_alerts_the_managers_once(manager_mike, training_line, django_capture_on_commit_callbacks) -> None:
    manager_mike.email = "mike@kefu.example"
    manager_mike.save(update_fields=["email"])
    budget.entry_post(actor=manager_mike, line_id=training_line.pk, kind="commitment", amount=D("10000"), note="讲师合同")
    budget.entry_post(actor=manager_mike, line_id=training_line.pk, kind="actual", amount=D("5999.99"), note="场地费")
    assert _alerts() == []  # 79.99995%
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        budget.entry_post(actor=manager_mike, line_id=training_line.pk, kind="actual", amount=D("0.01"), note="茶水")  # 80.00%
    assert _alerts() == [f"budget:{training_line.pk}:80"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mike@kefu.example"] and "80%" in mail.outbox[0].subject
    budget.entry_post(actor=manager_mike, line_id=training_line.pk, kind="actual", amount=D("100"), note="资料")
    assert _alerts() == [f"budget:{training_line.pk}:80"]  # not twice
    # Past 100% the second threshold fires, once.
    budget.entry_post(actor=manager_mike, line_id=training_line.pk, kind="actual", amount=D("4000"), note="追加课时")
    assert _alerts() == [f"budget:{training_line.pk}:100", f"budget:{training_line.pk}:80"]
    line = BudgetLine.objects.get(pk=training_line.pk)
    assert (line.committed, line.actual, line.used_percent) == (D("10000.00"), D("10100.00"), D("100.5"))


def test_an_actual_settles_its_commitment(manager_mike, training_line) -> None:
    line = budget.entry_post(actor=manager_mike, line_id=training_line.pk, kind="commitment", amount=D("3000"), note="讲师合同").line
    commitment = BudgetEntry.objects.get(kind="commitment")
    budget.entry_post(actor=manager_mike, line_id=line.pk, kind="actual", amount=D("2800"), note="讲师费", settles_id=commitment.pk)
    line.refresh_from_db()
    assert (line.committed, line.actual) == (D("200.00"), D("2800.00"))
    with pytest.raises(DomainError) as bad:
        budget.entry_post(actor=manager_mike, line_id=line.pk, kind="commitment", amount=D("1"), note="x", settles_id=commitment.pk)
    assert "settles" in bad.value.fields
    budget.entry_post(actor=manager_mike, line_id=line.pk, kind="actual", amount=D("500"), note="尾款", settles_id=commitment.pk)
    line.refresh_from_db()
    assert (line.committed, line.actual) == (D("0.00"), D("3300.00"))
    with pytest.raises(DomainError) as bad:
        budget.entry_post(actor=manager_mike, line_id=line.pk, kind="actual", amount=D("1"), note="x", settles_id=commitment.pk)
    assert "settles" in bad.value.fields
    for field, kwargs in [("amount", {"amount": D("0")}), ("note", {"note": " "}), ("kind", {"kind": "release"})]:
        args = {"kind": "actual", "amount": D("1"), "note": "x"} | kwargs
        with pytest.raises(DomainError) as bad:
            budget.entry_post(actor=manager_mike, line_id=line.pk, **args)
        assert field in bad.value.fields


def test_approved_requisitions_are_commitments_and_issues_actuals(agent_alice, lead_linda, manager_mike, materials_line) -> None:
    store = stock.catalogue_add(actor=manager_mike, store="一楼库房")
    headset = stock.catalogue_add(actor=manager_mike, material="备用耳麦", unit="副", unit_price=D("120"))
    assert isinstance(store, Store) and isinstance(headset, Material)
    stock.stock_receive(actor=manager_mike, store_id=store.pk, material_id=headset.pk, quantity=20)
    r = stock.requisition_create(actor=agent_alice, store_id=store.pk, material_id=headset.pk, quantity=4)  # 480
    stock.requisition_decide(actor=lead_linda, requisition_id=r.pk, approve=True)
    line = BudgetLine.objects.get(pk=materials_line.pk)
    assert (line.committed, line.actual) == (D("480.00"), D("0.00"))
    assert BudgetEntry.objects.get(kind="commitment").requisition_id == r.pk
    stock.requisition_issue(actor=lead_linda, requisition_id=r.pk)
    line.refresh_from_db()
    assert (line.committed, line.actual) == (D("0.00"), D("480.00"))
    # A second approval takes the line past 80%: 480 + 360 = 84% of 1,000.
    r2 = stock.requisition_create(actor=agent_alice, store_id=store.pk, material_id=headset.pk, quantity=3)
    stock.requisition_decide(actor=lead_linda, requisition_id=r2.pk, approve=True)
    assert _alerts() == [f"budget:{materials_line.pk}:80"]
    # A return refunds the actual; a rejected requisition commits nothing.
    stock.requisition_return(actor=lead_linda, requisition_id=r.pk)
    line.refresh_from_db()
    assert (line.committed, line.actual) == (D("360.00"), D("0.00"))
    r3 = stock.requisition_create(actor=agent_alice, store_id=store.pk, material_id=headset.pk, quantity=1)
    stock.requisition_decide(actor=lead_linda, requisition_id=r3.pk, approve=False)
    assert not BudgetEntry.objects.filter(requisition=r3).exists()
    assert [e.requisition_id for e in selectors.budget_line_detail(viewer=manager_mike, line_id=line.pk).entries.all()].count(r.pk) == 4
    assert selectors.budget_line_detail(viewer=lead_linda, line_id=line.pk) is None


def test_without_a_materials_line_a_requisition_commits_nothing(agent_alice, lead_linda, manager_mike) -> None:
    store = stock.catalogue_add(actor=manager_mike, store="一楼库房")
    pens = stock.catalogue_add(actor=manager_mike, material="签字笔", unit="支", unit_price=D("2"))
    r = stock.requisition_create(actor=agent_alice, store_id=store.pk, material_id=pens.pk, quantity=5)
    stock.requisition_decide(actor=lead_linda, requisition_id=r.pk, approve=True)
    assert BudgetEntry.objects.count() == 0


def test_reallocation_keeps_the_total_and_the_trail(manager_mike, lead_linda, materials_line, training_line) -> None:
    total = D("21000.00")
    budget.entry_post(actor=manager_mike, line_id=training_line.pk, kind="actual", amount=D("15000"), note="第一期")
    with pytest.raises(DomainError) as bad:  # training has used 15,000 of 20,000: 5,000 can move
        budget.reallocate(actor=manager_mike, from_line_id=training_line.pk, to_line_id=materials_line.pk, amount=D("5000.01"), reason="补物资")
    assert bad.value.status == 422 and "amount" in bad.value.fields
    with pytest.raises(Forbidden):
        budget.reallocate(actor=lead_linda, from_line_id=training_line.pk, to_line_id=materials_line.pk, amount=D("1"), reason="x")
    with pytest.raises(DomainError) as bad:
        budget.reallocate(actor=manager_mike, from_line_id=training_line.pk, to_line_id=materials_line.pk, amount=D("1"), reason=" ")
    assert "reason" in bad.value.fields
    with pytest.raises(DomainError) as bad:
        budget.reallocate(actor=manager_mike, from_line_id=training_line.pk, to_line_id=training_line.pk, amount=D("1"), reason="x")
    assert "to_line" in bad.value.fields
    row = budget.reallocate(actor=manager_mike, from_line_id=training_line.pk, to_line_id=materials_line.pk, amount=D("3000"),
                            reason="耳麦集中更换")  # fmt: skip
    assert (row.from_plan_before, row.from_plan_after, row.to_plan_before, row.to_plan_after) == (
        D("20000.00"), D("17000.00"), D("1000.00"), D("4000.00")
    )
    assert row.actor_id == manager_mike.pk and row.reason == "耳麦集中更换" and row.at is not None
    assert sum(ln.plan for ln in BudgetLine.objects.all()) == total
    # 15,000 of 17,000 is 88%: the giving line now passes 80%, alerted once.
    assert _alerts() == [f"budget:{training_line.pk}:80"]
    assert [r.pk for r in selectors.reallocations(viewer=manager_mike, year=training_line.year)] == [row.pk]
    other_year = budget.line_create(actor=manager_mike, year=training_line.year + 1, cost_kind=CostKind.SYSTEM, plan=D("10"))
    with pytest.raises(DomainError) as bad:
        budget.reallocate(actor=manager_mike, from_line_id=training_line.pk, to_line_id=other_year.pk, amount=D("1"), reason="x")
    assert "to_line" in bad.value.fields
    assert BudgetReallocation.objects.count() == 1


def test_an_alert_fires_once_even_after_a_reallocation_lowers_the_share(manager_mike, materials_line, training_line) -> None:
    budget.entry_post(actor=manager_mike, line_id=materials_line.pk, kind="actual", amount=D("850"), note="耳麦")
    budget.reallocate(actor=manager_mike, from_line_id=training_line.pk, to_line_id=materials_line.pk, amount=D("1000"), reason="补")
    budget.entry_post(actor=manager_mike, line_id=materials_line.pk, kind="actual", amount=D("900"), note="耳麦")  # 87.5% again
    assert _alerts() == [f"budget:{materials_line.pk}:80"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_postings_cross_80_percent_and_alert_once(manager_mike, year) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency: PostgreSQL (SQLite serialises writers anyway)")
    line = budget.line_create(actor=manager_mike, year=year, cost_kind=CostKind.OUTSOURCING, plan=D("1000"))
    budget.entry_post(actor=manager_mike, line_id=line.pk, kind="actual", amount=D("700"), note="外包一期")
    for _round in range(3):
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(barrier: threading.Barrier = barrier, errors: list[BaseException] = errors) -> None:
            try:
                barrier.wait()
                budget.entry_post(actor=manager_mike, line_id=line.pk, kind="actual", amount=D("150"), note="并发")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
    line.refresh_from_db()
    assert line.actual == D("1600.00") and BudgetEntry.objects.filter(line=line).count() == 7
    assert _alerts() == [f"budget:{line.pk}:100", f"budget:{line.pk}:80"]


def test_the_return_view_reads_csat_and_complaint_rate(manager_mike, lead_linda, agent_alice, training_line, front_team) -> None:
    today = timezone.localdate()
    start, end = today - timedelta(days=40), today - timedelta(days=30)
    project = budget.project_create(actor=manager_mike, line_id=training_line.pk, name="投诉处理话术培训", team_id=front_team.pk,
                                    started_on=start, ended_on=end, window_days=20)  # fmt: skip
    budget.entry_post(actor=manager_mike, line_id=training_line.pk, kind="actual", amount=D("6000"), note="讲师费", project_id=project.pk)

    template = SurveyTemplate.objects.create(name="满意度")

    def contact(day: date, *, complaint: bool, score: int) -> None:
        moment = datetime.combine(day, time(10), Z)
        with time_machine.travel(moment, tick=False):
            t = TicketFactory(actor=agent_alice, assignee=agent_alice, team=front_team, kind="complaint" if complaint else "inquiry")
        Survey.objects.create(
            ticket=t, template=template, agent=agent_alice, team=front_team, created_at=moment, sent_at=moment + timedelta(hours=2),
            answered_at=moment + timedelta(hours=3), status="answered", csat=score, key=f"k{t.pk}",
        )  # fmt: skip

    # Before: 4 contacts, 2 complaints, CSAT 1 of 4 satisfied. After: 4 contacts, 1 complaint, 3 of 4.
    for i, (complaint, score) in enumerate([(True, 2), (True, 3), (False, 5), (False, 2)]):
        contact(start - timedelta(days=5 + i), complaint=complaint, score=score)
    for i, (complaint, score) in enumerate([(True, 4), (False, 5), (False, 5), (False, 1)]):
        contact(end + timedelta(days=3 + i), complaint=complaint, score=score)
    [row] = selectors.project_returns(viewer=manager_mike, year=training_line.year)
    assert row.cost == D("6000.00") and row.complete
    assert (row.csat_before, row.csat_after, row.csat_change) == (25.0, 75.0, 50.0)
    assert (row.complaints_before, row.complaints_after, row.complaint_change) == (500.0, 250.0, -250.0)
    assert row.cost_per_csat_point == D("120.00")
    assert selectors.project_returns(viewer=lead_linda, year=training_line.year) == []
    with pytest.raises(DomainError) as bad:
        budget.project_create(actor=manager_mike, line_id=training_line.pk, name="x", started_on=end, ended_on=start)
    assert "ended_on" in bad.value.fields
