from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.accounts.choices import AssignmentMode
from kefu.dispatch.choices import Outcome, PassReason, Severity, SuggestionState, Trigger
from kefu.tickets.choices import Priority


class DispatchConfigVersion(models.Model):
    """One row whose token changes on every rule edit; each process caches the compiled rules and
    reloads them when the token differs (same scheme as kefu.sla)."""

    token = models.CharField(max_length=32, default="initial")


class RuleBase(models.Model):
    """Conditions shared by every kind of rule. An empty condition matches anything; a rule matches
    when all its non-empty conditions hold."""

    name = models.CharField(_("name"), max_length=64)
    position = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    keywords = models.JSONField(
        _("keywords"), default=list, blank=True, help_text=_("Any of these words in the title or description.")
    )
    match_kinds = models.JSONField(_("ticket kinds"), default=list, blank=True)
    match_channels = models.JSONField(_("channels"), default=list, blank=True)
    match_priorities = models.JSONField(_("priorities"), default=list, blank=True)
    match_tiers = models.ManyToManyField(
        "customers.CustomerTier", verbose_name=_("customer tiers"), blank=True, related_name="+"
    )
    match_vip = models.BooleanField(_("VIP customers only"), default=False)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class TriageRule(RuleBase):
    """A priority / complaint-grading rule (分级规则). Every rule that fires raises the priority to
    `set_priority` and/or grades a complaint `set_severity`; the highest wins."""

    repeat_within_days = models.PositiveSmallIntegerField(
        _("repeat contact within (days)"), null=True, blank=True,
        help_text=_("Fires when the same customer opened another ticket within this many days."),
    )
    repeat_min_count = models.PositiveSmallIntegerField(_("at least this many earlier tickets"), default=1)
    match_severities = models.JSONField(_("complaint grades"), default=list, blank=True)
    set_priority = models.CharField(_("raise priority to"), max_length=8, choices=Priority.choices, blank=True)
    set_severity = models.CharField(_("grade complaint as"), max_length=8, choices=Severity.choices, blank=True)
    notify_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("experts to notify"), blank=True, related_name="+",
        help_text=_("Told at once when this rule grades a complaint major or urgent."),
    )

    class Meta(RuleBase.Meta):
        verbose_name = _("triage rule")
        verbose_name_plural = _("triage rules")


class CategoryRule(models.Model):
    """Keywords that suggest a category (a later issue replaces this with a trained model)."""

    category = models.ForeignKey("tickets.Category", verbose_name=_("category"), on_delete=models.CASCADE, related_name="+")
    keywords = models.JSONField(_("keywords"), default=list)
    position = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category rule")
        verbose_name_plural = _("category rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.category} ← {'/'.join(self.keywords)}"


class RoutingRule(RuleBase):
    """Ordered routing rule: the first active rule that matches sends the ticket to `team`, to agents
    with all `required_skills`. Without a match the ticket stays with the default team."""

    match_categories = models.ManyToManyField(
        "tickets.Category", verbose_name=_("categories (with subcategories)"), blank=True, related_name="+"
    )
    match_languages = models.JSONField(_("languages"), default=list, blank=True)
    match_severities = models.JSONField(_("complaint grades"), default=list, blank=True)
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+")
    required_skills = models.ManyToManyField("accounts.Skill", verbose_name=_("required skills"), blank=True, related_name="+")
    skip_sticky = models.BooleanField(
        _("ignore the customer's last agent"), default=False,
        help_text=_("Off: a customer who contacted recently goes back to the agent who handled them last."),
    )

    class Meta(RuleBase.Meta):
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")


class TeamDispatchState(models.Model):
    """Per-team lock row and round-robin pointer. Every automatic dispatch into a team locks this row
    first, so decisions within a team are serialised (and agent rows are locked after it)."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="dispatch_state")
    last_user_id = models.BigIntegerField(null=True, blank=True)


class TicketDispatch(models.Model):
    """The dispatch state of one ticket: triage outcome, routing requirements, flags."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="dispatch")
    severity = models.CharField(_("complaint grade"), max_length=8, choices=Severity.choices, blank=True)
    # [{"rule": name, "rule_id": id, "why": text, "priority": p, "severity": s}]
    fired = models.JSONField(default=list, blank=True)
    priority_before = models.CharField(max_length=8, blank=True)
    routing_rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    required_skill_ids = models.JSONField(default=list, blank=True)
    skip_sticky = models.BooleanField(default=False)
    suggested_category = models.ForeignKey(
        "tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggestion_reasons = models.JSONField(default=list, blank=True)
    suggestion_state = models.CharField(max_length=10, choices=SuggestionState.choices, blank=True)
    is_repeat_complaint = models.BooleanField(_("repeat complaint"), default=False)
    repeat_of = models.JSONField(default=list, blank=True)  # ticket numbers
    bounced = models.BooleanField(_("bounced"), default=False)
    bounce_reason = models.CharField(max_length=200, blank=True)
    # Back-office agreed reply limit: set on a transfer into a back-office team.
    back_office_team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    back_office_since = models.DateTimeField(null=True, blank=True)
    back_office_due_at = models.DateTimeField(null=True, blank=True)
    back_office_overdue = models.BooleanField(default=False)
    flagged_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ticket dispatch state")
        verbose_name_plural = _("ticket dispatch states")
        indexes = [
            models.Index(
                fields=["back_office_due_at"], name="dispatch_backoffice_due_idx",
                condition=models.Q(back_office_due_at__isnull=False),
            ),
            models.Index(fields=["flagged_at"], name="dispatch_flagged_idx", condition=models.Q(flagged_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} dispatch"

    @property
    def suggestion_reason_labels(self) -> list[str]:
        """The suggestion's reasons in words ("keywords:退款,到账" / "recent")."""
        out = []
        for reason in self.suggestion_reasons:
            if reason == "recent":
                out.append(str(_("the customer's recent category")))
            elif str(reason).startswith("keywords:"):
                out.append(str(_("keywords: %(words)s")) % {"words": "、".join(str(reason)[9:].split(","))})
        return out


class DispatchDecision(models.Model):
    """One dispatch decision, with its explanation: which rule and mode chose whom, and why every
    other candidate was passed over."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="dispatch_decisions")
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    team = models.ForeignKey("accounts.Team", null=True, on_delete=models.SET_NULL, related_name="+")
    rule_name = models.CharField(_("rule"), max_length=64, blank=True)
    mode = models.CharField(_("mode"), max_length=24, blank=True)  # assignment mode, or account_manager / sticky
    chosen = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # [{"user_id", "name", "verdict" (PassReason), "load", "weighted", "capacity", "presence"}]
    candidates = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)  # plain explanation lines
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("dispatch decision")
        verbose_name_plural = _("dispatch decisions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["ticket", "-created_at", "-id"], name="dispatch_decision_ticket_idx"),
            # An agent's last automatic assignment (load-balanced ties go to the longest idle).
            models.Index(fields=["chosen", "outcome", "-created_at"], name="dispatch_decision_chosen_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.outcome}"

    @property
    def mode_label(self) -> str:
        labels = {
            **dict(AssignmentMode.choices), "account_manager": _("Dedicated account manager"),
            "sticky": _("Back to the last agent"), "intake": _("Taken at intake"), "return": _("Returned"),
        }
        return str(labels.get(self.mode, self.mode))

    @property
    def candidate_rows(self) -> list[dict[str, object]]:
        """Candidates with their verdict translated, for templates."""
        labels = dict(PassReason.choices)
        return [{**c, "verdict_label": labels.get(c.get("verdict", ""), c.get("verdict", ""))} for c in self.candidates]


class AgentLoad(models.Model):
    """Each assignee's open tickets: how many, and the sum of their priority ranks (normal = 2).

    Kept by the database itself, by triggers on tickets_ticket (migration 0004) that run in the
    writing transaction on both engines, whatever writes the tickets (services, bulk imports, the
    admin, a raw UPDATE). Dispatch reads these rows after taking the team's locks, so a decision
    reads one row per agent instead of counting every open ticket of the team. `kefu dispatch_loads`
    compares them with a recount and repairs them (after a restore from a partial backup, say).

    `user_id` is a plain column, not a foreign key: the row of a deleted user is harmless, and the
    triggers never have to wait for a user row."""

    user_id = models.BigIntegerField(primary_key=True)
    open_count = models.IntegerField(default=0)
    weighted = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("agent load")
        verbose_name_plural = _("agent loads")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.open_count} open"
