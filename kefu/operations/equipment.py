"""Writes for equipment (设备): devices, availability targets, maintenance plans, fault reports.

A fault report is a ticket (kind 报修 `repair`, no customer, category and team from `FaultRouting`:
设备故障 owned by the IT team) created through the ticket services in the same transaction as the
`DeviceFault` row. Its downtime ends when the ticket is resolved or closed: `fault_ticket_status`
is the after-commit reaction to the ticket's StatusChanged/Closed facts (kefu/operations/reactions.py);
a reopened ticket opens the downtime again. While a fault is open the clock checks the device's
availability every hour, so a long outage alerts before anyone resolves it.

Alerts (`alert_raise`) are `OpsAlert` rows with a unique key — once per device and month, per kind
and month, per plan and due date — and one mail to the active managers after commit.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import Team, User
from kefu.core.errors import Conflict, DomainError, NotFound
from kefu.operations import availability as A
from kefu.operations.access import may_lead, require_lead, require_manager
from kefu.operations.choices import AlertKind, DeviceKind, ServiceRecordKind
from kefu.operations.errors import OperationsErrorCode as E
from kefu.operations.models import (
    AvailabilityTarget,
    Device,
    DeviceFault,
    FaultRouting,
    MaintenancePlan,
    OpsAlert,
    ServiceRecord,
)
from kefu.operations.selectors import device_month_availability, kind_month_availability, target_for
from kefu.sla.notify import EmailChannel, OutboundMessage, send_all
from kefu.tickets.choices import Channel, Priority, TicketKind, TicketStatus
from kefu.tickets.models import Category
from kefu.tickets.services import TicketInput, ticket_create

logger = logging.getLogger("kefu.operations")

FAULT_TAG = "设备故障"
CHECK_EVERY = timedelta(hours=1)
# The clock lists a maintenance plan this many days before its due date.
MAINTENANCE_LEAD_DAYS = 3
DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def _invalid(name: str, message: str) -> DomainError:
    return DomainError(code=E.INVALID_INPUT, message=message, fields={name: [message]}, status=422)


# --- alerts ------------------------------------------------------------------------------------------


def alert_raise(*, kind: str, key: str, title: str, body: str = "", link: str = "", now: datetime | None = None) -> OpsAlert | None:
    """Raise the alert `key` once: None when it was raised before (also by a concurrent writer: the
    unique key decides). The managers are mailed after commit."""
    now = now or timezone.now()
    if OpsAlert.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            alert = OpsAlert.objects.create(kind=kind, key=key[:100], title=title[:200], body=body[:500], link=link[:200], created_at=now)
    except IntegrityError:
        return None
    emails = tuple(
        sorted(e for e in User.objects.filter(is_active=True, role__in=[Role.MANAGER, Role.ADMIN]).values_list("email", flat=True) if e)
    )
    message = OutboundMessage(title=title, body=body, link=f"{settings.SITE_ROOT}{link}", emails=emails)
    transaction.on_commit(lambda: send_all([EmailChannel()], message))
    return alert


def alert_seen(*, actor: User, alert_id: int, now: datetime | None = None) -> OpsAlert:
    """A manager marks an alert as seen (it leaves the list of new alerts)."""
    require_manager(actor)
    with transaction.atomic():
        alert = OpsAlert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None:
            raise NotFound(code=E.ALERT_NOT_FOUND, message=_("Alert not found."))
        if alert.seen_at is None:
            alert.seen_at, alert.seen_by = now or timezone.now(), actor
            alert.save(update_fields=["seen_at", "seen_by"])
    return alert


# --- devices and targets -----------------------------------------------------------------------------


def device_create(
    *, actor: User, name: str, kind: str, asset_no: str, location: str = "", in_service_since: date | None = None,
    now: datetime | None = None,
) -> Device:
    """A device (managers). The asset number is unique."""
    require_manager(actor)
    if not name.strip():
        raise _invalid("name", _("Name the device."))
    if kind not in DeviceKind.values:
        raise _invalid("kind", _("Choose a device kind."))
    if not asset_no.strip():
        raise _invalid("asset_no", _("Give the asset number."))
    if Device.objects.filter(asset_no=asset_no.strip()).exists():
        raise _invalid("asset_no", _("This asset number is taken."))
    return Device.objects.create(
        name=name.strip()[:100], kind=kind, asset_no=asset_no.strip()[:32], location=location.strip()[:100],
        in_service_since=in_service_since, created_at=now or timezone.now(),
    )  # fmt: skip


def availability_target_set(*, actor: User, kind: str, target: Decimal) -> AvailabilityTarget:
    """The monthly availability target of a device kind, in percent (managers)."""
    require_manager(actor)
    if kind not in DeviceKind.values:
        raise _invalid("kind", _("Choose a device kind."))
    if not (Decimal(0) < target <= Decimal(100)):
        raise _invalid("target", _("A target is a percentage above 0 and at most 100."))
    row, _created = AvailabilityTarget.objects.update_or_create(kind=kind, defaults={"target": target.quantize(Decimal("0.01"))})
    return row


def fault_routing_set(*, actor: User, category_id: int | None, team_id: int | None) -> FaultRouting:
    """Where fault reports go: the ticket category (设备故障) and the IT team (managers)."""
    require_manager(actor)
    if category_id is not None and not Category.objects.filter(pk=category_id, is_active=True).exists():
        raise _invalid("category", _("Choose an active category."))
    if team_id is not None and not Team.objects.filter(pk=team_id, is_active=True).exists():
        raise _invalid("team", _("Choose an active team."))
    row, _created = FaultRouting.objects.update_or_create(pk=1, defaults={"category_id": category_id, "team_id": team_id})
    return row


# --- maintenance -------------------------------------------------------------------------------------


def _list_due_at(due_on: date) -> datetime:
    """08:00 local, MAINTENANCE_LEAD_DAYS before the due date."""
    return datetime.combine(due_on - timedelta(days=MAINTENANCE_LEAD_DAYS), time(8), timezone.get_current_timezone())


def maintenance_plan_add(*, actor: User, device_id: int, task: str, interval_days: int, first_due_on: date) -> MaintenancePlan:
    """A periodic maintenance plan for a device (managers)."""
    require_manager(actor)
    if not task.strip():
        raise _invalid("task", _("Describe the maintenance."))
    if interval_days < 1:
        raise _invalid("interval_days", _("The interval is at least one day."))
    device = Device.objects.filter(pk=device_id).first()
    if device is None:
        raise NotFound(code=E.DEVICE_NOT_FOUND, message=_("Device not found."))
    return MaintenancePlan.objects.create(
        device=device, task=task.strip()[:200], interval_days=interval_days, next_due_on=first_due_on,
        list_due_at=_list_due_at(first_due_on),
    )  # fmt: skip


def maintenance_done(
    *, actor: User, plan_id: int, done_on: date | None = None, note: str = "", now: datetime | None = None
) -> MaintenancePlan:
    """Maintenance carried out (leads and managers): a history record, and the next due date is
    `interval_days` after the day it was done."""
    require_lead(actor)
    now = now or timezone.now()
    done_on = done_on or timezone.localdate(now)
    if done_on > timezone.localdate(now):
        raise _invalid("done_on", _("Maintenance cannot be done in the future."))
    with transaction.atomic():
        plan = MaintenancePlan.objects.select_for_update().filter(pk=plan_id).first()
        if plan is None:
            raise NotFound(code=E.MAINTENANCE_NOT_FOUND, message=_("Maintenance plan not found."))
        plan.last_done_on = done_on
        plan.next_due_on = done_on + timedelta(days=plan.interval_days)
        plan.list_due_at = _list_due_at(plan.next_due_on)
        plan.save(update_fields=["last_done_on", "next_due_on", "list_due_at"])
        ServiceRecord.objects.create(
            device_id=plan.device_id, kind=ServiceRecordKind.MAINTENANCE, plan=plan, note=(note.strip() or plan.task)[:300],
            actor=actor, at=now,
        )  # fmt: skip
    return plan


def maintenance_list_due(*, plan_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock's handler: the plan is due soon. Claims the row (conditional UPDATE), marks the due
    date listed and alerts the managers once for that due date."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = MaintenancePlan.objects.filter(pk=plan_id, list_due_at=due_at).update(list_due_at=None)
        if claimed != 1:
            return False
        plan = MaintenancePlan.objects.select_related("device").get(pk=plan_id)
        plan.listed_for = plan.next_due_on
        plan.save(update_fields=["listed_for"])
        alert_raise(
            kind=AlertKind.MAINTENANCE, key=f"maint:{plan.pk}:{plan.next_due_on.isoformat()}",
            title=_("Maintenance due: %(device)s") % {"device": str(plan.device)},
            body=_("%(task)s, due on %(day)s.") % {"task": plan.task, "day": plan.next_due_on.isoformat()},
            link=f"/operations/equipment/{plan.device_id}/", now=now,
        )  # fmt: skip
    return True


# --- faults ------------------------------------------------------------------------------------------


def fault_report(
    *, actor: User, device_id: int, description: str, priority: str = Priority.NORMAL, now: datetime | None = None
) -> DeviceFault:
    """A lead (or manager, admin) reports a fault: a ticket of kind 报修 without a customer, in the
    fault category, for the IT team, created through the ticket services; the downtime starts now."""
    require_lead(actor)
    if not description.strip():
        raise _invalid("description", _("Describe the fault."))
    if priority not in Priority.values:
        raise _invalid("priority", _("Choose a priority."))
    routing = FaultRouting.objects.select_related("category", "team").filter(pk=1).first()
    if routing is None or routing.team is None:
        raise Conflict(code=E.FAULT_ROUTING, message=_("Fault reports have no IT team yet: a manager sets it on the equipment page."))
    now = now or timezone.now()
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(pk=device_id, is_active=True).first()
        if device is None:
            raise NotFound(code=E.DEVICE_NOT_FOUND, message=_("Device not found."))
        ticket = ticket_create(
            actor=actor,
            data=TicketInput(
                title=_("Device fault: %(device)s") % {"device": str(device)},
                description=f"{description.strip()}\n\n{DeviceKind(device.kind).label} · {device.location}".strip(),
                kind=TicketKind.REPAIR, channel=Channel.WEB, priority=priority, category=routing.category,
                team=routing.team, tags=[FAULT_TAG],
            ),
            at=now,
        )  # fmt: skip
        fault = DeviceFault.objects.create(
            device=device, ticket=ticket, description=description.strip(), reported_by=actor, reported_at=now,
            check_due_at=now + CHECK_EVERY,
        )  # fmt: skip
    return fault


def is_fault_ticket(kind: str, customer_id: int | None) -> bool:
    """What a fault ticket looks like from its fact alone (no query): 报修 without a customer."""
    return kind == TicketKind.REPAIR and customer_id is None


def fault_ticket_status(*, ticket_id: int, status: str, at: datetime) -> DeviceFault | None:
    """The reaction: a fault ticket was resolved or closed (the downtime ends at `at`, a repair goes
    into the device's history, the availability is checked) or reopened (the downtime runs again).
    Idempotent: a retried reaction changes nothing twice."""
    with transaction.atomic():
        fault = DeviceFault.objects.select_for_update().select_related("ticket").filter(ticket_id=ticket_id).first()
        if fault is None:
            return None
        if status in DONE and fault.resolved_at is None:
            fault.resolved_at, fault.check_due_at = max(at, fault.reported_at), None
            fault.save(update_fields=["resolved_at", "check_due_at"])
            ServiceRecord.objects.create(
                device_id=fault.device_id, kind=ServiceRecordKind.REPAIR, fault=fault,
                note=_("Ticket %(n)s resolved") % {"n": fault.ticket.number}, at=at,
            )  # fmt: skip
            availability_check(device_id=fault.device_id, since=fault.reported_at, now=at)
        elif status not in DONE and fault.resolved_at is not None:
            fault.resolved_at, fault.check_due_at = None, at + CHECK_EVERY
            fault.save(update_fields=["resolved_at", "check_due_at"])
    return fault


def fault_check(*, fault_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock's handler for an open fault: check the availability, look again in an hour."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = DeviceFault.objects.filter(pk=fault_id, check_due_at=due_at, resolved_at__isnull=True).update(
            check_due_at=now + CHECK_EVERY
        )
        if claimed != 1:
            return False
        fault = DeviceFault.objects.get(pk=fault_id)
        availability_check(device_id=fault.device_id, since=fault.reported_at, now=now)
    return True


def availability_check(*, device_id: int, since: datetime, now: datetime) -> list[OpsAlert]:
    """Alert when the device, or its kind, is under the target in a month from `since` to `now`
    (once per device and month, once per kind and month)."""
    zone = timezone.get_current_timezone()
    device = Device.objects.get(pk=device_id)
    target = target_for(device.kind)
    raised: list[OpsAlert] = []
    for month in A.months_between(since, now, zone):
        mine = device_month_availability(device_ids=[device.pk], month=month, now=now)[device.pk]
        label = f"{month:%Y-%m}"
        if mine.under(target):
            alert = alert_raise(
                kind=AlertKind.AVAILABILITY, key=f"avail:device:{device.pk}:{label}",
                title=_("%(device)s: availability %(pct)s%% in %(month)s, under the %(target)s%% target")
                % {"device": str(device), "pct": mine.percent, "month": label, "target": target},
                body=_("Downtime %(h)s hours this month.") % {"h": round(mine.downtime_seconds / 3600, 1)},
                link=f"/operations/equipment/{device.pk}/", now=now,
            )  # fmt: skip
            raised += [alert] if alert else []
        whole = kind_month_availability(kind=device.kind, month=month, now=now)
        if whole.under(target):
            alert = alert_raise(
                kind=AlertKind.AVAILABILITY, key=f"avail:kind:{device.kind}:{label}",
                title=_("%(kind)s: availability %(pct)s%% in %(month)s, under the %(target)s%% target")
                % {"kind": DeviceKind(device.kind).label, "pct": whole.percent, "month": label, "target": target},
                link=f"/operations/equipment/?month={label}", now=now,
            )  # fmt: skip
            raised += [alert] if alert else []
    return raised


def may_report_faults(user: User) -> bool:
    return may_lead(user)
