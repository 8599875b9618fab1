"""Equipment: fault reports become IT tickets, the ticket's resolution ends the downtime (after
commit), availability alerts once per device/kind and month, maintenance listed by the clock."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from kefu.core.clock import run_pass
from kefu.core.errors import Conflict, DomainError, Forbidden
from kefu.operations import equipment, selectors
from kefu.operations.choices import DeviceKind
from kefu.operations.clock import JOBS
from kefu.operations.models import DeviceFault, OpsAlert, ServiceRecord
from kefu.tickets.choices import TicketKind, TicketStatus
from kefu.tickets.services import ticket_change_status

pytestmark = pytest.mark.django_db

Z = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=Z)


def resolve(user, fault: DeviceFault, when: datetime, capture, status: str = TicketStatus.RESOLVED) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(when, tick=False), capture(execute=True):
        ticket_change_status(actor=user, number=fault.ticket.number, status=status)
    fault.refresh_from_db()


def test_a_fault_report_is_an_it_ticket(lead_linda, routing, headset, it_team) -> None:
    fault = equipment.fault_report(actor=lead_linda, device_id=headset.pk, description="左耳无声", now=at("2026-11-02 09:00"))
    t = fault.ticket
    assert (t.kind, t.team_id, t.category_id, t.customer_id, t.owner_id) == (
        TicketKind.REPAIR, it_team.pk, routing.category_id, None, lead_linda.pk
    )
    assert "缤特力耳麦" in t.title and "左耳无声" in t.description
    assert list(t.tags.values_list("name", flat=True)) == ["设备故障"]
    assert fault.reported_at == at("2026-11-02 09:00") and fault.resolved_at is None
    assert fault.check_due_at == at("2026-11-02 10:00")


def test_who_may_report_and_what_is_refused(agent_alice, lead_linda, manager_mike, headset, routing) -> None:
    with pytest.raises(Forbidden):
        equipment.fault_report(actor=agent_alice, device_id=headset.pk, description="坏了")
    with pytest.raises(DomainError) as bad:
        equipment.fault_report(actor=lead_linda, device_id=headset.pk, description=" ")
    assert bad.value.status == 422 and "description" in bad.value.fields
    with pytest.raises(DomainError) as bad:
        equipment.fault_report(actor=lead_linda, device_id=headset.pk, description="坏了", priority="soon")
    assert "priority" in bad.value.fields
    assert DeviceFault.objects.count() == 0


def test_no_routing_no_report(lead_linda, headset) -> None:
    with pytest.raises(Conflict) as refused:
        equipment.fault_report(actor=lead_linda, device_id=headset.pk, description="坏了")
    assert refused.value.code == "fault_routing_missing"


def test_resolution_ends_the_downtime_and_a_reopen_runs_it_again(
    lead_linda, it_ivan, routing, headset, django_capture_on_commit_callbacks
) -> None:
    fault = equipment.fault_report(actor=lead_linda, device_id=headset.pk, description="左耳无声", now=at("2026-11-02 09:00"))
    resolve(it_ivan, fault, at("2026-11-02 11:00"), django_capture_on_commit_callbacks)
    assert fault.resolved_at == at("2026-11-02 11:00") and fault.check_due_at is None
    repair = ServiceRecord.objects.get(fault=fault)
    assert repair.kind == "repair" and fault.ticket.number in repair.note
    # Closing the resolved ticket changes nothing (the downtime ended at the resolution).
    resolve(it_ivan, fault, at("2026-11-03 09:00"), django_capture_on_commit_callbacks, TicketStatus.CLOSED)
    assert fault.resolved_at == at("2026-11-02 11:00") and ServiceRecord.objects.filter(fault=fault).count() == 1


def test_reopened_ticket_reopens_the_downtime(lead_linda, it_ivan, routing, headset, django_capture_on_commit_callbacks) -> None:
    fault = equipment.fault_report(actor=lead_linda, device_id=headset.pk, description="左耳无声", now=at("2026-11-02 09:00"))
    resolve(it_ivan, fault, at("2026-11-02 10:00"), django_capture_on_commit_callbacks)
    resolve(it_ivan, fault, at("2026-11-02 10:30"), django_capture_on_commit_callbacks, TicketStatus.IN_PROGRESS)
    assert fault.resolved_at is None and fault.check_due_at == at("2026-11-02 11:30")
    resolve(it_ivan, fault, at("2026-11-02 12:00"), django_capture_on_commit_callbacks)
    assert fault.resolved_at == at("2026-11-02 12:00")
    a = selectors.device_month_availability(device_ids=[headset.pk], month=date(2026, 11, 1), now=at("2026-12-05 00:00"))
    assert a[headset.pk].downtime_seconds == 3 * 3600


def test_under_the_target_alerts_the_managers_once_per_device_and_month(
    lead_linda, it_ivan, manager_mike, routing, headset, django_capture_on_commit_callbacks
) -> None:
    manager_mike.email = "mike@kefu.example"
    manager_mike.save(update_fields=["email"])
    # 3 hours: 99.58% of November, on target — no alert.
    first = equipment.fault_report(actor=lead_linda, device_id=headset.pk, description="左耳无声", now=at("2026-11-02 09:00"))
    resolve(it_ivan, first, at("2026-11-02 12:00"), django_capture_on_commit_callbacks)
    assert OpsAlert.objects.count() == 0
    # Another 5 hours, overlapping nothing: 8 h of 720 = 98.88% → the device and its kind are under.
    second = equipment.fault_report(actor=lead_linda, device_id=headset.pk, description="麦克风断线", now=at("2026-11-10 09:00"))
    mail.outbox.clear()
    resolve(it_ivan, second, at("2026-11-10 14:00"), django_capture_on_commit_callbacks)
    keys = set(OpsAlert.objects.values_list("key", flat=True))
    assert keys == {f"avail:device:{headset.pk}:2026-11", "avail:kind:headset:2026-11"}
    alert = OpsAlert.objects.get(key=f"avail:device:{headset.pk}:2026-11")
    assert "98.88" in alert.title and "99" in alert.title
    assert [m.to for m in mail.outbox] == [["mike@kefu.example"], ["mike@kefu.example"]]
    # A third fault the same month: no second alert.
    third = equipment.fault_report(actor=lead_linda, device_id=headset.pk, description="又坏了", now=at("2026-11-20 09:00"))
    resolve(it_ivan, third, at("2026-11-20 19:00"), django_capture_on_commit_callbacks)
    assert OpsAlert.objects.count() == 2


def test_a_configured_kind_target_decides(lead_linda, it_ivan, manager_mike, routing, headset, django_capture_on_commit_callbacks) -> None:
    equipment.availability_target_set(actor=manager_mike, kind=DeviceKind.HEADSET, target=Decimal("95"))
    fault = equipment.fault_report(actor=lead_linda, device_id=headset.pk, description="左耳无声", now=at("2026-11-02 09:00"))
    resolve(it_ivan, fault, at("2026-11-03 09:00"), django_capture_on_commit_callbacks)  # 24 h: 96.66%
    assert OpsAlert.objects.count() == 0
    with pytest.raises(DomainError) as bad:
        equipment.availability_target_set(actor=manager_mike, kind=DeviceKind.HEADSET, target=Decimal("101"))
    assert "target" in bad.value.fields
    with pytest.raises(Forbidden):
        equipment.availability_target_set(actor=lead_linda, kind=DeviceKind.HEADSET, target=Decimal("90"))


def test_an_open_fault_crossing_the_month_alerts_from_the_clock(lead_linda, routing, headset, manager_mike) -> None:
    other = equipment.device_create(actor=manager_mike, name="备用耳麦", kind=DeviceKind.HEADSET, asset_no="EJ-002")
    fault = equipment.fault_report(actor=lead_linda, device_id=headset.pk, description="整机无法开机", now=at("2026-11-30 20:00"))
    # Dec 1 02:00: 6 h in November (99.16%), 2 h in December — nothing under yet.
    run_pass(job_list=JOBS, now=at("2026-12-01 02:00"))
    assert OpsAlert.objects.count() == 0
    fault.refresh_from_db()
    assert fault.check_due_at == at("2026-12-01 03:00")
    # Dec 1 10:00: November has 4 h (the rest of the month), December 10 h of 744 → 98.65% for the
    # device; the kind (two headsets, 10 of 1488 h) stays on target.
    run_pass(job_list=JOBS, now=at("2026-12-01 10:00"))
    assert set(OpsAlert.objects.values_list("key", flat=True)) == {f"avail:device:{headset.pk}:2026-12"}
    nov = selectors.device_month_availability(device_ids=[headset.pk, other.pk], month=date(2026, 11, 1), now=at("2026-12-01 10:00"))
    assert nov[headset.pk].downtime_seconds == 4 * 3600 and nov[other.pk].downtime_seconds == 0


def test_overlapping_faults_count_once(lead_linda, routing, headset, it_ivan, django_capture_on_commit_callbacks) -> None:
    a = equipment.fault_report(actor=lead_linda, device_id=headset.pk, description="无声", now=at("2026-11-02 09:00"))
    b = equipment.fault_report(actor=lead_linda, device_id=headset.pk, description="有杂音", now=at("2026-11-02 10:00"))
    resolve(it_ivan, a, at("2026-11-02 12:00"), django_capture_on_commit_callbacks)
    resolve(it_ivan, b, at("2026-11-02 13:00"), django_capture_on_commit_callbacks)
    got = selectors.device_month_availability(device_ids=[headset.pk], month=date(2026, 11, 1), now=at("2026-12-01 00:00"))
    assert got[headset.pk].downtime_seconds == 4 * 3600


def test_maintenance_is_listed_by_the_clock_once_per_due_date(manager_mike, lead_linda, headset) -> None:
    plan = equipment.maintenance_plan_add(actor=manager_mike, device_id=headset.pk, task="清洁耳垫、检测麦克风", interval_days=30,
                                          first_due_on=date(2026, 11, 10))  # fmt: skip
    run_pass(job_list=JOBS, now=at("2026-11-06 09:00"))
    assert OpsAlert.objects.count() == 0
    run_pass(job_list=JOBS, now=at("2026-11-07 08:00"))
    run_pass(job_list=JOBS, now=at("2026-11-08 08:00"))
    assert list(OpsAlert.objects.values_list("key", flat=True)) == [f"maint:{plan.pk}:2026-11-10"]
    plan.refresh_from_db()
    assert plan.listed_for == date(2026, 11, 10)
    assert [p.pk for p in selectors.maintenance_due(viewer=lead_linda, today=date(2026, 11, 8))] == [plan.pk]
    with time_machine.travel(at("2026-11-09 15:00"), tick=False):
        equipment.maintenance_done(actor=lead_linda, plan_id=plan.pk, note="已清洁")
    plan.refresh_from_db()
    assert (plan.last_done_on, plan.next_due_on) == (date(2026, 11, 9), date(2026, 12, 9))
    assert plan.list_due_at == at("2026-12-06 08:00")
    assert ServiceRecord.objects.get(plan=plan).note == "已清洁"
    assert selectors.maintenance_due(viewer=lead_linda, today=date(2026, 11, 10)) == []
    with pytest.raises(Forbidden):
        equipment.maintenance_plan_add(actor=lead_linda, device_id=headset.pk, task="x", interval_days=1, first_due_on=date(2026, 11, 1))
    with pytest.raises(DomainError) as bad:
        equipment.maintenance_plan_add(actor=manager_mike, device_id=headset.pk, task="x", interval_days=0, first_due_on=date(2026, 11, 1))
    assert "interval_days" in bad.value.fields


def test_device_rows_and_kind_rows(lead_linda, manager_mike, routing, headset) -> None:
    equipment.device_create(actor=manager_mike, name="前台打印机", kind=DeviceKind.PRINTER, asset_no="PR-001")
    equipment.fault_report(actor=lead_linda, device_id=headset.pk, description="无声", now=at("2026-11-29 00:00"))
    rows = selectors.device_rows(viewer=lead_linda, month=date(2026, 11, 1), now=at("2026-11-30 00:00"))
    assert [(r.device.asset_no, r.open_faults, r.under) for r in rows] == [("EJ-001", 1, True), ("PR-001", 0, False)]
    kinds = {k.kind: k for k in selectors.kind_rows(rows)}
    assert kinds["headset"].availability.downtime_seconds == 24 * 3600 and kinds["printer"].availability.percent == Decimal("100.00")
    with pytest.raises(DomainError) as bad:
        equipment.device_create(actor=manager_mike, name="x", kind=DeviceKind.PC, asset_no="EJ-001")
    assert "asset_no" in bad.value.fields


def test_the_history_lists_recent_months(headset) -> None:
    months = selectors.device_history(device=headset, months=3, now=at("2026-11-15 00:00"))
    assert [m for m, _a in months] == [date(2026, 11, 1), date(2026, 10, 1), date(2026, 9, 1)]
    assert months[2][1].ratio == 1.0
