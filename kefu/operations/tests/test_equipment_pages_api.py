"""Equipment pages and API: who may do what, the happy path, 422 with the field."""

from __future__ import annotations

import pytest

from kefu.conftest import login
from kefu.operations import equipment
from kefu.operations.models import Device, DeviceFault, MaintenancePlan
from kefu.operations.tests.test_pages_api import call

pytestmark = pytest.mark.django_db


def test_pages_need_a_login(client, headset) -> None:
    for url in ["/operations/equipment/", f"/operations/equipment/{headset.pk}/"]:
        assert client.get(url).status_code == 302


def test_a_lead_reports_a_fault_from_the_device_page(client, lead_linda, routing, headset) -> None:
    login(client, lead_linda)
    page = client.get("/operations/equipment/").content.decode()
    assert "缤特力耳麦" in page and "添加设备" not in page  # managers add devices
    r = client.post(f"/operations/equipment/{headset.pk}/fault/", {"description": "", "priority": "normal"})
    assert r.status_code == 422 and b"errorlist" in r.content
    r = client.post(f"/operations/equipment/{headset.pk}/fault/", {"description": "左耳无声", "priority": "high"})
    assert r.status_code == 302
    fault = DeviceFault.objects.get()
    assert fault.ticket.priority == "high"
    page = client.get(f"/operations/equipment/{headset.pk}/").content.decode()
    assert fault.ticket.number in page and "左耳无声" in page
    assert client.post(f"/operations/equipment/{headset.pk}/nope/").status_code == 404
    assert client.post("/operations/equipment/device/", {"name": "x", "kind": "pc", "asset_no": "X-1"}).status_code == 403


def test_an_agent_reads_but_cannot_report(client, agent_alice, routing, headset) -> None:
    login(client, agent_alice)
    page = client.get(f"/operations/equipment/{headset.pk}/").content.decode()
    assert "上报 IT" not in page
    client.post(f"/operations/equipment/{headset.pk}/fault/", {"description": "坏了", "priority": "normal"})
    assert DeviceFault.objects.count() == 0


def test_a_manager_adds_devices_plans_targets_and_routing(client, manager_mike, headset, it_team) -> None:
    login(client, manager_mike)
    r = client.post("/operations/equipment/device/", {"name": "大厅排队机", "kind": "queue_machine", "asset_no": "QM-001"})
    assert r.status_code == 302 and Device.objects.filter(asset_no="QM-001").exists()
    r = client.post("/operations/equipment/device/", {"name": "重复", "kind": "pc", "asset_no": "QM-001"})
    assert r.status_code == 422 and 'role="alert"' in r.content.decode().split("ops-request")[1]
    r = client.post("/operations/equipment/target/", {"kind": "headset", "target": "98.5"})
    assert r.status_code == 302
    r = client.post("/operations/equipment/routing/", {"team": it_team.pk, "category": ""})
    assert r.status_code == 302
    r = client.post(f"/operations/equipment/{headset.pk}/plan/", {"task": "清洁", "interval_days": "14", "first_due_on": "2026-12-20"})
    assert r.status_code == 302 and MaintenancePlan.objects.get().interval_days == 14
    page = client.get("/operations/equipment/?month=2026-13").content.decode()
    assert "98.50%" in page


def test_api_devices_faults_availability(client, manager_mike, lead_linda, agent_alice, routing) -> None:
    r = call(client, "post", "/api/v1/operations/devices", agent_alice, {"name": "耳麦", "kind": "headset", "asset_no": "EJ-9"})
    assert r.status_code == 403
    r = call(client, "post", "/api/v1/operations/devices", manager_mike, {"name": "耳麦", "kind": "toaster", "asset_no": "EJ-9"})
    assert r.status_code == 422 and "kind" in r.json()["fields"]
    r = call(client, "post", "/api/v1/operations/devices", manager_mike, {"name": "耳麦", "kind": "headset", "asset_no": "EJ-9"})
    assert r.status_code == 201 and r.json()["availability"] == 100.0 and r.json()["target"] == 99.0
    did = r.json()["id"]
    r = call(client, "post", f"/api/v1/operations/devices/{did}/faults", agent_alice, {"description": "无声"})
    assert r.status_code == 403
    r = call(client, "post", f"/api/v1/operations/devices/{did}/faults", lead_linda, {"description": ""})
    assert r.status_code == 422 and "description" in r.json()["fields"]
    r = call(client, "post", f"/api/v1/operations/devices/{did}/faults", lead_linda, {"description": "无声"})
    assert r.status_code == 201 and r.json()["ticket_number"].startswith("GD")
    r = call(client, "post", "/api/v1/operations/devices/999999/faults", lead_linda, {"description": "无声"})
    assert r.status_code == 404
    r = call(client, "get", f"/api/v1/operations/devices/{did}", agent_alice)
    assert r.status_code == 200 and r.json()["open_faults"] == 1 and len(r.json()["months"]) == 6
    r = call(client, "get", "/api/v1/operations/availability?month=2026-13", manager_mike)
    assert r.status_code == 422 and "month" in r.json()["fields"]
    r = call(client, "get", "/api/v1/operations/availability", manager_mike)
    assert r.status_code == 200 and r.json()["kinds"][0]["kind"] == "headset"
    r = call(client, "post", "/api/v1/operations/availability/targets", manager_mike, {"kind": "headset", "target": 120})
    assert r.status_code == 422 and "target" in r.json()["fields"]
    r = call(client, "post", "/api/v1/operations/availability/targets", lead_linda, {"kind": "headset", "target": 95})
    assert r.status_code == 403
    r = call(client, "post", f"/api/v1/operations/devices/{did}/maintenance-plans", manager_mike,
             {"task": "清洁", "interval_days": 0, "first_due_on": "2026-12-01"})  # fmt: skip
    assert r.status_code == 422 and "interval_days" in r.json()["fields"]
    r = call(client, "post", f"/api/v1/operations/devices/{did}/maintenance-plans", manager_mike,
             {"task": "清洁", "interval_days": 7, "first_due_on": "2026-12-01"})  # fmt: skip
    assert r.status_code == 201
    pid = r.json()["id"]
    assert [p["id"] for p in call(client, "get", "/api/v1/operations/maintenance/due", lead_linda).json()] == [pid]
    r = call(client, "post", f"/api/v1/operations/maintenance-plans/{pid}/done", agent_alice, {})
    assert r.status_code == 403
    r = call(client, "post", f"/api/v1/operations/maintenance-plans/{pid}/done", lead_linda, {"done_on": "2999-01-01"})
    assert r.status_code == 422 and "done_on" in r.json()["fields"]
    r = call(client, "post", f"/api/v1/operations/maintenance-plans/{pid}/done", lead_linda, {})
    assert r.status_code == 200 and r.json()["last_done_on"] is not None
    assert call(client, "get", "/api/v1/operations/alerts", lead_linda).status_code == 403
    assert call(client, "get", "/api/v1/operations/alerts", manager_mike).json() == []


def test_api_alerts_seen(client, manager_mike) -> None:
    alert = equipment.alert_raise(kind="availability", key="avail:device:1:2026-11", title="t")
    assert alert is not None and equipment.alert_raise(kind="availability", key="avail:device:1:2026-11", title="t") is None
    r = call(client, "get", "/api/v1/operations/alerts?unseen=true", manager_mike)
    assert [a["id"] for a in r.json()] == [alert.pk]
    r = call(client, "post", f"/api/v1/operations/alerts/{alert.pk}/seen", manager_mike)
    assert r.status_code == 200 and r.json()["seen_at"] is not None
    assert call(client, "get", "/api/v1/operations/alerts?unseen=true", manager_mike).json() == []
    assert call(client, "post", "/api/v1/operations/alerts/999999/seen", manager_mike).status_code == 404
