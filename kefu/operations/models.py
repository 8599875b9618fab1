"""Center operations (资源与应急): emergency plans (应急预案) with three response levels, their
incidents (real or drills) with the notification chain, checklist, timeline and review (复盘)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.operations.choices import (
    AlertKind,
    BudgetEntryKind,
    CostKind,
    DeviceKind,
    Duty,
    IncidentEventKind,
    IncidentStatus,
    PlanKind,
    RequisitionStatus,
    ServiceRecordKind,
    StockMoveKind,
    Trigger,
)

LEVELS = (1, 2, 3)


class EmergencyPlan(models.Model):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=PlanKind.choices, default=PlanKind.OTHER)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class PlanLevel(models.Model):
    """One of the plan's three response levels (1 the mildest): who is in the chain, the steps, the
    materials and the outside contacts; an unacknowledged notice escalates after `ack_minutes`."""

    plan = models.ForeignKey(EmergencyPlan, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField(_("level"))
    title = models.CharField(_("title"), max_length=100, blank=True)
    ack_minutes = models.PositiveSmallIntegerField(_("minutes to acknowledge"), default=5)
    steps = models.JSONField(_("steps"), default=list, blank=True)
    materials = models.TextField(_("materials"), blank=True)
    outside_contacts = models.TextField(_("outside contacts"), blank=True)

    class Meta:
        ordering = ["plan", "level"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "level"], name="ops_plan_level_unique"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="ops_plan_level_range"),
            models.CheckConstraint(condition=Q(ack_minutes__gte=1), name="ops_plan_level_ack_min"),
        ]


class PlanRole(models.Model):
    """A person in a level's chain and their duty; `position` orders the chain."""

    level = models.ForeignKey(PlanLevel, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    duty = models.CharField(_("duty"), max_length=16, choices=Duty.choices, default=Duty.NOTIFIED)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["level", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["level", "user"], name="ops_plan_role_unique")]


class Incident(models.Model):
    """A plan started (by hand or by a rule); a drill (演练) runs the plan without touching customers."""

    plan = models.ForeignKey(EmergencyPlan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="incidents")
    level = models.PositiveSmallIntegerField(_("level"))
    title = models.CharField(_("title"), max_length=200)
    is_drill = models.BooleanField(_("drill"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.ACTIVE)
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    activated_at = models.DateTimeField(_("activated at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("emergency incident")
        verbose_name_plural = _("emergency incidents")
        ordering = ["-activated_at", "-id"]
        indexes = [models.Index(fields=["activated_at"], name="ops_incident_at_idx")]

    def __str__(self) -> str:
        return self.title


class IncidentNotice(models.Model):
    """One person told of the incident. Unacknowledged past `escalate_due_at`, the clock escalates to
    the next people in the chain (the next level's, then the managers)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="incident_notices")
    duty = models.CharField(_("duty"), max_length=16, choices=Duty.choices, default=Duty.NOTIFIED)
    level = models.PositiveSmallIntegerField(_("level"))
    channels = models.CharField(_("channels"), max_length=64, blank=True)
    sent_at = models.DateTimeField(_("sent at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    escalate_due_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "user"], name="ops_notice_unique")]
        indexes = [
            models.Index(fields=["escalate_due_at"], name="ops_notice_due_idx", condition=Q(escalate_due_at__isnull=False))
        ]


class IncidentStep(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    level = models.PositiveSmallIntegerField()
    text = models.CharField(_("step"), max_length=300)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["level", "position", "id"]


class IncidentEvent(models.Model):
    """The incident's timeline: every action, message and acknowledgement, in order."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=IncidentEventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class IncidentReview(models.Model):
    """The review (复盘) after an incident: key points and causes; actions have owners and due dates."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    key_points = models.TextField(_("key points"))
    causes = models.TextField(_("causes"), blank=True)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    written_at = models.DateTimeField()


class ReviewAction(models.Model):
    review = models.ForeignKey(IncidentReview, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField(_("improvement"), max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]


# --- materials (物资): stock per store, requisitions with approval levels, the stock ledger ---------


class Store(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Material(models.Model):
    """A consumable or spare (耗材, headsets, forms, disinfectant). Emergency stock (应急物资) is kept
    apart and needs two people to issue (双人管理)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    unit = models.CharField(_("unit"), max_length=16, default="个")
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2, default=0)
    is_emergency = models.BooleanField(_("emergency stock"), default=False)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["is_emergency", "name"]

    def __str__(self) -> str:
        return self.name


class Stock(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="stock")
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="stock")
    quantity = models.IntegerField(_("quantity"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "material"], name="ops_stock_unique"),
            # Never below zero, whatever happens: the database refuses it.
            models.CheckConstraint(condition=Q(quantity__gte=0), name="ops_stock_not_negative"),
        ]


class Requisition(models.Model):
    """A request (申领) for material from a store. The approval level follows the amount: a team
    lead up to LEAD_LIMIT, a manager up to MANAGER_LIMIT, an admin beyond."""

    LEAD_LIMIT = 500
    MANAGER_LIMIT = 5000

    store = models.ForeignKey(Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    material = models.ForeignKey(Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="requisitions")
    quantity = models.PositiveIntegerField(_("quantity"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=RequisitionStatus.choices, default=RequisitionStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("requisition")
        verbose_name_plural = _("requisitions")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="ops_requisition_qty_min")]


class StockMove(models.Model):
    """The stock ledger: every receipt, issue, return and count difference, with why."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="moves")
    kind = models.CharField(max_length=16, choices=StockMoveKind.choices)
    delta = models.IntegerField()
    requisition = models.ForeignKey(Requisition, null=True, blank=True, on_delete=models.SET_NULL, related_name="moves")
    note = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


# --- equipment (设备): devices, maintenance plans, faults (tickets routed to IT), service history ------


class Device(models.Model):
    """A phone, headset, PC, printer or queue machine. Its availability per month comes from its
    faults' downtime (kefu/operations/availability.py)."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=DeviceKind.choices)
    asset_no = models.CharField(_("asset number"), max_length=32, unique=True)
    location = models.CharField(_("location"), max_length=100, blank=True)
    in_service_since = models.DateField(_("in service since"), null=True, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["kind", "asset_no"]

    def __str__(self) -> str:
        return f"{self.name}（{self.asset_no}）"


class AvailabilityTarget(models.Model):
    """The monthly availability target of a device kind, in percent (99.00 when no row)."""

    kind = models.CharField(_("kind"), max_length=16, choices=DeviceKind.choices, unique=True)
    target = models.DecimalField(_("target (%)"), max_digits=5, decimal_places=2)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(target__gt=0, target__lte=100), name="ops_avail_target_range")]


class FaultRouting(models.Model):
    """Where a fault report goes (one row): the ticket category (设备故障) and the IT team owning it."""

    category = models.ForeignKey("tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class MaintenancePlan(models.Model):
    """Periodic maintenance of a device: every `interval_days`, next on `next_due_on`. The clock
    lists the plan as due (once per due date) at `list_due_at`; doing it moves the next date on."""

    device = models.ForeignKey(Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="plans")
    task = models.CharField(_("task"), max_length=200)
    interval_days = models.PositiveIntegerField(_("every (days)"))
    next_due_on = models.DateField(_("next due"))
    last_done_on = models.DateField(_("last done"), null=True, blank=True)
    listed_for = models.DateField(null=True, blank=True)  # the due date the clock has listed
    list_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["next_due_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(interval_days__gte=1), name="ops_maint_interval_min")]
        indexes = [models.Index(fields=["list_due_at"], name="ops_maint_due_idx", condition=Q(list_due_at__isnull=False))]


class DeviceFault(models.Model):
    """A fault report: a ticket routed to IT. Downtime runs from `reported_at` until the ticket is
    resolved (`resolved_at`, set by the reaction to the ticket's status); a reopened ticket opens it
    again. While open, the clock checks the availability every hour (`check_due_at`)."""

    device = models.ForeignKey(Device, verbose_name=_("device"), on_delete=models.PROTECT, related_name="faults")
    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.PROTECT, related_name="device_fault")
    description = models.TextField(_("description"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reported_at = models.DateTimeField(_("reported at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    check_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("device fault")
        verbose_name_plural = _("device faults")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["device", "reported_at"], name="ops_fault_device_idx"),
            models.Index(fields=["check_due_at"], name="ops_fault_check_idx", condition=Q(check_due_at__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("reported_at")), name="ops_fault_order"
            )
        ]


class ServiceRecord(models.Model):
    """The device's history: maintenance done and repairs (a fault's ticket resolved)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(max_length=16, choices=ServiceRecordKind.choices)
    plan = models.ForeignKey(MaintenancePlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    fault = models.ForeignKey(DeviceFault, null=True, blank=True, on_delete=models.SET_NULL, related_name="records")
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]


class OpsAlert(models.Model):
    """An in-app alert to the managers (availability under target, maintenance due, a budget line
    past a threshold). `key` is unique, so an alert fires once per subject and period/threshold
    even when two writers reach it at the same moment; mail goes to the managers on commit."""

    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    key = models.CharField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=500, blank=True)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]


# --- budget (预算): lines per year and cost kind, their ledger, reallocations, projects ------------------

MONEY_DIGITS, MONEY_PLACES = 14, 2  # yuan with two places (Decimal), as requisition amounts


class BudgetLine(models.Model):
    """A year's budget for one cost kind: the plan, the open commitments (approved requisitions,
    orders placed) and the actuals. `committed` and `actual` are kept with the ledger under the
    row's lock; used = committed + actual, and passing 80% (then 100%) of plan alerts once."""

    year = models.PositiveSmallIntegerField(_("year"))
    cost_kind = models.CharField(_("cost kind"), max_length=20, choices=CostKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    plan = models.DecimalField(_("plan"), max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    committed = models.DecimalField(_("committed"), default=0, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    actual = models.DecimalField(_("actual"), default=0, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["year", "cost_kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "cost_kind", "name"], name="ops_budget_line_unique"),
            models.CheckConstraint(condition=Q(plan__gte=0), name="ops_budget_plan_not_negative"),
        ]

    def __str__(self) -> str:
        label = self.name or CostKind(self.cost_kind).label
        return f"{self.year} {label}"

    @property
    def used(self) -> Decimal:
        return self.committed + self.actual

    @property
    def used_percent(self) -> Decimal | None:
        if not self.plan:
            return None
        return (self.used * 100 / self.plan).quantize(Decimal("0.1"))


class BudgetProject(models.Model):
    """A training or project whose cost (actuals posted to it) is set against the change in CSAT and
    complaint rate: `window_days` before `started_on` against `window_days` after `ended_on`."""

    line = models.ForeignKey(BudgetLine, verbose_name=_("budget line"), on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"))
    window_days = models.PositiveSmallIntegerField(_("window (days)"), default=30)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ended_on__gte=models.F("started_on")), name="ops_project_dates"),
            models.CheckConstraint(condition=Q(window_days__gte=1), name="ops_project_window_min"),
        ]

    def __str__(self) -> str:
        return self.name


class BudgetEntry(models.Model):
    """The line's ledger: a commitment (an approved requisition, an order), an actual (money spent;
    negative for a refund), the release of a commitment when it turned into an actual."""

    line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=16, choices=BudgetEntryKind.choices)
    amount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    requisition = models.ForeignKey(Requisition, null=True, blank=True, on_delete=models.SET_NULL, related_name="budget_entries")
    project = models.ForeignKey(BudgetProject, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries")
    settles = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["line", "at"], name="ops_budget_entry_idx")]


class BudgetReallocation(models.Model):
    """Plan moved between two lines of a year: who, when, why, how much, and both plans before and
    after (the audit trail; the year's plan total is unchanged)."""

    year = models.PositiveSmallIntegerField()
    from_line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="+")
    to_line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    reason = models.CharField(max_length=300)
    from_plan_before = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    from_plan_after = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    to_plan_before = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    to_plan_after = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="ops_realloc_positive")]
