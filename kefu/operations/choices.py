from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanKind(models.TextChoices):
    COMPLAINT_ESCALATION = "complaint_escalation", _("Complaint escalation")
    SYSTEM_OUTAGE = "system_outage", _("System outage")
    PUBLIC_HEALTH = "public_health", _("Public health")
    PEAK_OVERLOAD = "peak_overload", _("Peak overload")
    OTHER = "other", _("Other")


class Duty(models.TextChoices):
    NOTIFIED = "notified", _("Is notified")
    DECIDES = "decides", _("Decides")
    ACTS = "acts", _("Acts")


class IncidentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Trigger(models.TextChoices):
    MANUAL = "manual", _("By hand")
    RULE = "rule", _("By a rule")


class IncidentEventKind(models.TextChoices):
    ACTIVATED = "activated", _("Activated")
    NOTIFIED = "notified", _("Notified")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ESCALATED = "escalated", _("Escalated")
    STEP_DONE = "step_done", _("Step done")
    LEVEL_CHANGED = "level_changed", _("Level changed")
    MESSAGE = "message", _("Message")
    CLOSED = "closed", _("Closed")
    REVIEWED = "reviewed", _("Reviewed")


class RequisitionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    AWAITING_SECOND = "awaiting_second", _("Waiting for the second person")
    ISSUED = "issued", _("Issued")
    RETURNED = "returned", _("Returned")


class StockMoveKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    ISSUE = "issue", _("Issue")
    RETURN = "return", _("Return")
    COUNT = "count", _("Stock count")


class DeviceKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    HEADSET = "headset", _("Headset")
    PC = "pc", _("PC")
    PRINTER = "printer", _("Printer")
    QUEUE_MACHINE = "queue_machine", _("Queue machine")


class ServiceRecordKind(models.TextChoices):
    MAINTENANCE = "maintenance", _("Maintenance")
    REPAIR = "repair", _("Repair")


class AlertKind(models.TextChoices):
    AVAILABILITY = "availability", _("Availability under target")
    MAINTENANCE = "maintenance", _("Maintenance due")
    BUDGET = "budget", _("Budget threshold passed")


class CostKind(models.TextChoices):
    TRAINING = "training", _("Training")
    SYSTEM = "system", _("Systems")
    EQUIPMENT_REPAIR = "equipment_repair", _("Equipment repair")
    OUTSOURCING = "outsourcing", _("Outsourcing")
    MATERIALS = "materials", _("Materials")


class BudgetEntryKind(models.TextChoices):
    COMMITMENT = "commitment", _("Commitment")
    ACTUAL = "actual", _("Actual")
    RELEASE = "release", _("Commitment released")
