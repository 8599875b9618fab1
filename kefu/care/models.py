"""Customer care (客户关怀): greeting templates and configured holiday dates, the outbox of care
messages (one greeting per customer and date, enforced by the database), and the loyalty ledger
(客户积分): earn rules, rewards, one account per customer whose balance the database keeps at zero or
above, and the entries (earned lots with what is left of them and their expiry, spends, expiries),
each request's entry found again by its idempotency key."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kefu.care.choices import CareChannel, EarnKind, EntryKind, MessagePurpose, MessageStatus, Occasion


def new_portal_key() -> str:
    return secrets.token_urlsafe(12)


class GreetingTemplate(models.Model):
    """The text of one occasion's greeting and the channel it goes out on first. `{name}` is the
    customer's name, `{occasion}` the occasion's name."""

    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=CareChannel.choices, default=CareChannel.SMS)
    subject = models.CharField(_("subject"), max_length=100)
    body = models.TextField(_("text"), max_length=500)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("greeting template")
        verbose_name_plural = _("greeting templates")
        ordering = ["occasion"]
        constraints = [
            models.UniqueConstraint(fields=["occasion"], condition=Q(is_active=True), name="care_one_active_template"),
        ]

    def __str__(self) -> str:
        return f"{self.get_occasion_display()} · {self.get_channel_display()}"


class HolidayDate(models.Model):
    """A configured date of a holiday greeting (lunar festivals move every year): adds to or replaces
    the built-in table of kefu/care/occasions.py for that occasion and year."""

    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    date = models.DateField(_("date"))

    class Meta:
        verbose_name = _("holiday date")
        verbose_name_plural = _("holiday dates")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["occasion", "year"], name="care_holiday_once_a_year")]

    def __str__(self) -> str:
        return f"{self.get_occasion_display()} {self.date}"


class CareMessage(models.Model):
    """The outbox: one care message to one customer. The clock sends it (`send_due_at`) on the first
    channel the customer can be reached on, starting with the template's."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="care_messages")
    purpose = models.CharField(_("purpose"), max_length=16, choices=MessagePurpose.choices)
    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices, blank=True)
    on_date = models.DateField(_("date"))
    channel = models.CharField(_("channel"), max_length=10, choices=CareChannel.choices)
    address = models.CharField(_("sent to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=100)
    body = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    send_due_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    # What makes the message unique (a greeting: the customer and the date; a reminder: the lot's expiry).
    dedupe_key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("care message")
        verbose_name_plural = _("care messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            # No customer is greeted twice for one date, whatever the occasions and however often the clock runs.
            models.UniqueConstraint(
                fields=["customer", "on_date"], condition=Q(purpose="greeting"), name="care_one_greeting_per_day"
            ),
        ]
        indexes = [
            models.Index(fields=["send_due_at"], name="care_message_due_idx", condition=Q(send_due_at__isnull=False)),
            models.Index(fields=["customer", "-created_at"], name="care_message_customer_idx"),
        ]


class CareClock(models.Model):
    """When the clock next runs the day's care work (greetings, expiries, reminders): one row, claimed
    with a conditional update, moved an hour ahead each time (the work is idempotent per day)."""

    name = models.CharField(max_length=32, unique=True)
    due_at = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="care_clock_due_idx", condition=Q(due_at__isnull=False))]

    def __str__(self) -> str:
        return self.name


class EarnRule(models.Model):
    """How points are earned: per visit, per `per_amount` yuan spent, per survey answered; the points
    stay valid `valid_days` days. One active rule per kind."""

    kind = models.CharField(_("earned"), max_length=10, choices=EarnKind.choices)
    points = models.PositiveIntegerField(_("points"))
    per_amount = models.DecimalField(_("per amount (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)
    valid_days = models.PositiveIntegerField(_("valid for (days)"), default=365)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("earn rule")
        verbose_name_plural = _("earn rules")
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=Q(is_active=True), name="care_one_active_rule"),
            models.CheckConstraint(condition=Q(points__gte=1), name="care_rule_points_min"),
            models.CheckConstraint(condition=Q(valid_days__gte=1), name="care_rule_valid_min"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points}"


class Reward(models.Model):
    """What points buy. `stock` None: unlimited."""

    name = models.CharField(_("name"), max_length=100)
    cost = models.PositiveIntegerField(_("points"))
    stock = models.PositiveIntegerField(_("in stock"), null=True, blank=True)
    is_active = models.BooleanField(_("listed"), default=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["cost", "name"]
        constraints = [models.CheckConstraint(condition=Q(cost__gte=1), name="care_reward_cost_min")]

    def __str__(self) -> str:
        return self.name


class LoyaltyAccount(models.Model):
    """A customer's points. `balance` is the sum of what is left of the unexpired earned lots; the
    row is locked for every change and the database refuses a negative balance."""

    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, related_name="loyalty")
    balance = models.IntegerField(_("balance"), default=0)
    portal_key = models.CharField(max_length=32, default=new_portal_key)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("loyalty account")
        verbose_name_plural = _("loyalty accounts")
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="care_balance_not_negative")]


class LoyaltyEntry(models.Model):
    """One line of the ledger. An earned entry is a lot: `remaining` is what spends and expiry have
    not taken yet, `expires_on` the last day it counts. Spends and expiries are negative."""

    account = models.ForeignKey(LoyaltyAccount, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=8, choices=EntryKind.choices)
    earned_by = models.CharField(_("earned by"), max_length=10, choices=EarnKind.choices, blank=True)
    points = models.IntegerField(_("points"))
    remaining = models.PositiveIntegerField(default=0)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    balance_after = models.IntegerField(_("balance after"))
    reward = models.ForeignKey(Reward, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # The request's key and a digest of what it asked: a replay returns this entry, a different
    # request under the same key is refused.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    request_digest = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="care_entry_balance_not_negative"),
            models.CheckConstraint(condition=Q(remaining__lte=F("points")) | ~Q(kind="earn"), name="care_lot_remaining_max"),
            models.CheckConstraint(
                condition=(Q(kind="earn", points__gt=0) | Q(kind__in=["spend", "expire"], points__lt=0)),
                name="care_entry_sign",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="care_entry_account_idx"),
            models.Index(fields=["expires_on"], name="care_lot_expiry_idx", condition=Q(kind="earn", remaining__gt=0)),
        ]
