"""Budget pages and API: managers only, the happy path, 422 with the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from kefu.conftest import login
from kefu.operations import budget
from kefu.operations.choices import CostKind
from kefu.operations.models import BudgetLine, BudgetReallocation
from kefu.operations.tests.test_pages_api import call

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(manager_mike) -> list[BudgetLine]:
    year = timezone.localdate().year
    return [
        budget.line_create(actor=manager_mike, year=year, cost_kind=CostKind.TRAINING, plan=Decimal("10000")),
        budget.line_create(actor=manager_mike, year=year, cost_kind=CostKind.MATERIALS, plan=Decimal("5000")),
    ]


def test_only_managers_see_the_budget_pages(client, lead_linda, agent_alice, lines) -> None:
    assert client.get("/operations/budget/").status_code == 302
    for user in (agent_alice, lead_linda):
        login(client, user)
        assert client.get("/operations/budget/").status_code == 403
        assert client.get(f"/operations/budget/{lines[0].pk}/").status_code == 404
        assert client.get("/operations/budget/returns/").status_code == 403
        assert client.post("/operations/budget/line/", {"cost_kind": "system", "plan": "1"}).status_code == 403
        assert "预算" not in client.get("/operations/equipment/").content.decode().split("</nav>")[-2].rsplit("<nav", 1)[-1]


def test_a_manager_posts_reallocates_and_reads_the_trail(client, manager_mike, lines) -> None:
    login(client, manager_mike)
    training, materials = lines
    page = client.get("/operations/budget/").content.decode()
    assert "10000.00" in page and "15000.00" in page  # a line and the total
    r = client.post("/operations/budget/entry/", {"line": training.pk, "kind": "actual", "amount": "8500", "note": "讲师费"})
    assert r.status_code == 302
    page = client.get("/operations/budget/").content.decode()
    assert "85.0%" in page and "ops-alerts" in page  # the 80% alert on the page
    r = client.post("/operations/budget/reallocate/", {"from_line": training.pk, "to_line": materials.pk, "amount": "2000", "reason": "补物资"})
    assert r.status_code == 422 and "amount" in r.content.decode().split("budget-reallocate")[1][:3000]
    r = client.post("/operations/budget/reallocate/", {"from_line": training.pk, "to_line": materials.pk, "amount": "1000", "reason": "补物资"})
    assert r.status_code == 302 and BudgetReallocation.objects.get().reason == "补物资"
    page = client.get("/operations/budget/").content.decode()
    assert "补物资" in page and "10000.00 → 9000.00" in page and "15000.00" in page
    assert client.get(f"/operations/budget/{training.pk}/").status_code == 200
    assert client.get("/operations/budget/returns/").status_code == 200
    r = client.post("/operations/budget/line/", {"cost_kind": "training", "plan": "1"})  # taken: same kind, no name
    assert r.status_code == 422
    assert client.post("/operations/budget/nope/").status_code == 404


def test_api(client, manager_mike, lead_linda, lines, front_team) -> None:
    training, materials = lines
    year = training.year
    assert call(client, "get", f"/api/v1/operations/budget/lines?year={year}", lead_linda).status_code == 403
    r = call(client, "get", f"/api/v1/operations/budget/lines?year={year}", manager_mike)
    assert [ln["cost_kind"] for ln in r.json()] == ["materials", "training"]
    assert call(client, "get", "/api/v1/operations/budget/lines?year=3000", manager_mike).json()["fields"].keys() == {"year"}
    r = call(client, "post", "/api/v1/operations/budget/lines", manager_mike, {"year": year, "cost_kind": "system", "plan": "1.234"})
    assert r.status_code == 422 and "plan" in r.json()["fields"]
    r = call(client, "post", "/api/v1/operations/budget/lines", manager_mike, {"year": year, "cost_kind": "system", "plan": "80000.50"})
    assert r.status_code == 201 and r.json()["plan"] == "80000.50"
    url = f"/api/v1/operations/budget/lines/{training.pk}/entries"
    r = call(client, "post", url, manager_mike, {"kind": "actual", "amount": 0, "note": "x"})
    assert r.status_code == 422 and "amount" in r.json()["fields"]
    r = call(client, "post", url, manager_mike, {"kind": "commitment", "amount": "9000", "note": "合同"})
    assert r.status_code == 201 and r.json()["used_percent"] == 90.0 and r.json()["entries"][0]["kind"] == "commitment"
    r = call(client, "post", "/api/v1/operations/budget/reallocations", manager_mike,
             {"from_line_id": training.pk, "to_line_id": materials.pk, "amount": "1500", "reason": "x"})  # fmt: skip
    assert r.status_code == 422 and "amount" in r.json()["fields"]
    r = call(client, "post", "/api/v1/operations/budget/reallocations", manager_mike,
             {"from_line_id": materials.pk, "to_line_id": training.pk, "amount": "1500", "reason": "培训追加"})  # fmt: skip
    assert r.status_code == 201 and (r.json()["to_plan_before"], r.json()["to_plan_after"]) == ("10000.00", "11500.00")
    assert len(call(client, "get", f"/api/v1/operations/budget/reallocations?year={year}", manager_mike).json()) == 1
    r = call(client, "post", "/api/v1/operations/budget/projects", manager_mike,
             {"budget_line_id": training.pk, "name": "话术培训", "team_id": front_team.pk, "started_on": "2026-11-01",
              "ended_on": "2026-10-01"})  # fmt: skip
    assert r.status_code == 422 and "ended_on" in r.json()["fields"]
    r = call(client, "post", "/api/v1/operations/budget/projects", manager_mike,
             {"budget_line_id": training.pk, "name": "话术培训", "team_id": front_team.pk, "started_on": f"{year}-01-05",
              "ended_on": f"{year}-01-06"})  # fmt: skip
    assert r.status_code == 201 and r.json()["cost"] == "0.00"
    r = call(client, "post", url, manager_mike, {"kind": "actual", "amount": "300", "note": "讲师", "project_id": r.json()["project_id"]})
    assert r.status_code == 201
    [row] = call(client, "get", f"/api/v1/operations/budget/returns?year={year}", manager_mike).json()
    assert row["cost"] == "300.00" and row["name"] == "话术培训"
    assert call(client, "get", "/api/v1/operations/budget/lines/999999", manager_mike).status_code == 404
