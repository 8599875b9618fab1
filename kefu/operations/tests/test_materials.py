from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from kefu.core.errors import DomainError
from kefu.operations import stock
from kefu.operations.models import Material, Requisition, Stock, StockMove, Store

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(manager_mike) -> Store:
    s = stock.catalogue_add(actor=manager_mike, store="一楼库房")
    assert isinstance(s, Store)
    return s


@pytest.fixture
def headset(manager_mike, store) -> Material:
    m = stock.catalogue_add(actor=manager_mike, material="备用耳麦", unit="副", unit_price=Decimal("120"))
    assert isinstance(m, Material)
    stock.stock_receive(actor=manager_mike, store_id=store.pk, material_id=m.pk, quantity=10)
    return m


@pytest.fixture
def masks(manager_mike, store) -> Material:
    m = stock.catalogue_add(actor=manager_mike, material="应急口罩", unit="盒", unit_price=Decimal("30"), is_emergency=True)
    assert isinstance(m, Material)
    stock.stock_receive(actor=manager_mike, store_id=store.pk, material_id=m.pk, quantity=5)
    return m


def _qty(store: Store, material: Material) -> int:
    return Stock.objects.get(store=store, material=material).quantity


@pytest.mark.parametrize(("amount", "role"), [("500", "team_lead"), ("500.01", "manager"), ("5000", "manager"), ("5000.01", "admin")])
def test_approval_level_follows_the_amount(amount, role) -> None:
    assert stock.approver_role(Decimal(amount)) == role


def test_request_approve_issue_return(agent_alice, lead_linda, manager_mike, store, headset) -> None:
    r = stock.requisition_create(actor=agent_alice, store_id=store.pk, material_id=headset.pk, quantity=2, reason="耳麦损坏")
    assert r.amount == Decimal("240")
    with pytest.raises(DomainError) as caught:
        stock.requisition_decide(actor=agent_alice, requisition_id=r.pk, approve=True)
    assert caught.value.status == 403
    with pytest.raises(DomainError):
        stock.requisition_issue(actor=lead_linda, requisition_id=r.pk)  # not approved yet
    stock.requisition_decide(actor=lead_linda, requisition_id=r.pk, approve=True)
    stock.requisition_issue(actor=lead_linda, requisition_id=r.pk)
    assert _qty(store, headset) == 8
    stock.requisition_return(actor=lead_linda, requisition_id=r.pk)
    assert _qty(store, headset) == 10
    assert list(StockMove.objects.filter(requisition=r).values_list("kind", "delta")) == [("issue", -2), ("return", 2)]


def test_a_big_requisition_needs_a_manager(agent_alice, lead_linda, manager_mike, store, headset) -> None:
    r = stock.requisition_create(actor=agent_alice, store_id=store.pk, material_id=headset.pk, quantity=5)  # 600
    with pytest.raises(DomainError) as caught:
        stock.requisition_decide(actor=lead_linda, requisition_id=r.pk, approve=True)
    assert caught.value.status == 403
    stock.requisition_decide(actor=manager_mike, requisition_id=r.pk, approve=False)
    assert Requisition.objects.get(pk=r.pk).status == "rejected"


def test_stock_never_goes_below_zero(agent_alice, lead_linda, store, headset) -> None:
    r = stock.requisition_create(actor=agent_alice, store_id=store.pk, material_id=headset.pk, quantity=4)  # 480
    stock.requisition_decide(actor=lead_linda, requisition_id=r.pk, approve=True)
    Stock.objects.filter(store=store, material=headset).update(quantity=3)
    with pytest.raises(DomainError) as caught:
        stock.requisition_issue(actor=lead_linda, requisition_id=r.pk)
    assert caught.value.code == "stock_short"
    assert _qty(store, headset) == 3 and Requisition.objects.get(pk=r.pk).status == "approved"


def test_emergency_stock_needs_a_second_person(agent_alice, lead_linda, manager_mike, store, masks) -> None:
    r = stock.requisition_create(actor=agent_alice, store_id=store.pk, material_id=masks.pk, quantity=2)
    stock.requisition_decide(actor=lead_linda, requisition_id=r.pk, approve=True)
    stock.requisition_issue(actor=lead_linda, requisition_id=r.pk)
    assert Requisition.objects.get(pk=r.pk).status == "awaiting_second" and _qty(store, masks) == 5
    with pytest.raises(DomainError) as caught:
        stock.requisition_confirm(actor=lead_linda, requisition_id=r.pk)
    assert caught.value.code == "second_person_required"
    stock.requisition_confirm(actor=manager_mike, requisition_id=r.pk)
    assert _qty(store, masks) == 3


def test_a_count_difference_needs_a_reason(manager_mike, store, headset) -> None:
    with pytest.raises(DomainError) as caught:
        stock.stock_count(actor=manager_mike, store_id=store.pk, material_id=headset.pk, counted=9)
    assert caught.value.status == 422 and "reason" in (caught.value.fields or {})
    stock.stock_count(actor=manager_mike, store_id=store.pk, material_id=headset.pk, counted=9, reason="一副遗失")
    assert _qty(store, headset) == 9
    assert StockMove.objects.filter(kind="count").get().delta == -1


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_never_overdraw(agent_alice, lead_linda, manager_mike, store, headset) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency: PostgreSQL (SQLite serialises writers anyway)")
    ids = []
    for _ in range(8):
        r = stock.requisition_create(actor=agent_alice, store_id=store.pk, material_id=headset.pk, quantity=3)
        stock.requisition_decide(actor=lead_linda, requisition_id=r.pk, approve=True)
        ids.append(r.pk)
    barrier = threading.Barrier(len(ids))
    outcomes: list[str] = []

    def run(pk: int) -> None:
        try:
            barrier.wait()
            stock.requisition_issue(actor=lead_linda, requisition_id=pk)
            outcomes.append("issued")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(pk,)) for pk in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("issued") == 3 and outcomes.count("stock_short") == 5
    assert _qty(store, headset) == 1


def test_page_and_api(client, agent_alice, lead_linda, store, headset, masks) -> None:
    from kefu.conftest import login
    from kefu.operations.tests.test_pages_api import call

    login(client, agent_alice)
    page = client.get("/operations/materials/")
    assert page.status_code == 200 and "备用耳麦" in page.content.decode()
    r = client.post("/operations/materials/", {"store": store.pk, "material": headset.pk, "quantity": "0"})
    assert r.status_code == 422 and b"errorlist" in r.content
    r = client.post("/operations/materials/", {"store": store.pk, "material": headset.pk, "quantity": "1", "reason": "坏了"})
    assert r.status_code == 302
    req = Requisition.objects.get()
    client.post(f"/operations/requisitions/{req.pk}/approve/")  # an agent: refused with a message
    assert Requisition.objects.get().status == "pending"
    login(client, lead_linda)
    client.post(f"/operations/requisitions/{req.pk}/approve/")
    client.post(f"/operations/requisitions/{req.pk}/issue/")
    assert Requisition.objects.get().status == "issued" and _qty(store, headset) == 9
    assert client.post(f"/operations/requisitions/{req.pk}/nope/").status_code == 404

    r = call(client, "post", "/api/v1/operations/requisitions", agent_alice, {"store": store.pk, "material": masks.pk, "quantity": 0})
    assert r.status_code == 422
    r = call(client, "post", "/api/v1/operations/requisitions", agent_alice, {"store": store.pk, "material": masks.pk, "quantity": 1})
    assert r.status_code == 201
    rid = r.json()["id"]
    assert call(client, "post", f"/api/v1/operations/requisitions/{rid}/approve", agent_alice).status_code == 403
    assert call(client, "post", f"/api/v1/operations/requisitions/{rid}/approve", lead_linda).json()["status"] == "approved"
    assert call(client, "post", f"/api/v1/operations/requisitions/{rid}/issue", lead_linda).json()["status"] == "awaiting_second"
    r = call(client, "post", f"/api/v1/operations/requisitions/{rid}/confirm", lead_linda)
    assert r.status_code == 409 and r.json()["code"] == "second_person_required"
    stock_rows = call(client, "get", "/api/v1/operations/stock", agent_alice).json()
    assert {s["material"]: s["quantity"] for s in stock_rows} == {"备用耳麦": 9, "应急口罩": 5}
    assert len(call(client, "get", "/api/v1/operations/requisitions", agent_alice).json()) == 2
