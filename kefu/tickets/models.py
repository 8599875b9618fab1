from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.customers.models import Customer, CustomerDocument, Tag
from kefu.tickets.choices import (
    OPEN_STATUSES,
    Channel,
    EventKind,
    LinkKind,
    MessageKind,
    Priority,
    TicketKind,
    TicketStatus,
)


def new_portal_key() -> str:
    return secrets.token_urlsafe(24)


class Category(models.Model):
    """A node of the configurable category tree. `path` ("/1/7/") makes subtree queries one prefix match."""

    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(_("name"), max_length=64)
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["path", "sort_order"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)

    @property
    def full_name(self) -> str:
        # Filled in by selectors for lists; falls back to the own name.
        return getattr(self, "_full_name", None) or self.name


class TicketNumberSequence(models.Model):
    """One row per day: `last` is bumped with a row lock, so numbers are unique under concurrency."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=TicketKind.choices, default=TicketKind.INQUIRY)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.PHONE)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    priority_rank = models.PositiveSmallIntegerField(default=2, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="tickets")
    language = models.CharField(_("language"), max_length=16, default="zh-hans")
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    transfer_count = models.PositiveSmallIntegerField(_("transfers"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    portal_key = models.CharField(max_length=40, default=new_portal_key, editable=False)
    # jieba tokens of title, description and messages, indexed by the database's full-text engine.
    search_text = models.TextField(default="", blank=True, editable=False)

    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Time-driven work for the clock: a resolved ticket closes itself after KEFU_AUTO_CLOSE_DAYS.
    auto_close_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["assignee", "status", "-updated_at", "-id"], name="ticket_assignee_queue_idx"),
            models.Index(fields=["team", "status", "-updated_at", "-id"], name="ticket_team_queue_idx"),
            models.Index(fields=["owner", "status", "-updated_at", "-id"], name="ticket_owner_idx"),
            models.Index(fields=["status", "-updated_at", "-id"], name="ticket_status_idx"),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated_idx"),
            # The queues list open tickets newest-first. `status IN (open...)` cannot walk the
            # (x, status, updated_at) indexes in updated_at order, so the database fetched and sorted
            # every open ticket of the agent / team (1,000+ at 1M rows, see docs/benchmarks.md).
            # These partial indexes hold only open tickets: ordered, small, cheap to maintain.
            models.Index(
                fields=["assignee", "-updated_at", "-id"],
                name="ticket_assignee_open_idx",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["team", "-updated_at", "-id"],
                name="ticket_team_open_idx",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["-updated_at", "-id"],
                name="ticket_open_updated_idx",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_idx"),
            models.Index(fields=["contact_phone"], name="ticket_contact_phone_idx"),
            models.Index(
                fields=["auto_close_due_at"],
                name="ticket_auto_close_due_idx",
                condition=models.Q(auto_close_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class TicketMessage(models.Model):
    """A public reply (seen by the customer) or an internal note (staff only). Body is plain text."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=8, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_customer = models.BooleanField(default=False)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_message_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class TicketAttachment(models.Model):
    """Links an archived CustomerDocument to a ticket (and to the message it came with)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey(CustomerDocument, on_delete=models.PROTECT, related_name="ticket_links")
    message = models.ForeignKey(
        TicketMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    is_public = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "document"], name="ticket_attachment_unique")]


class TicketTransfer(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="transfers")
    from_team = models.ForeignKey("accounts.Team", null=True, on_delete=models.PROTECT, related_name="+")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    to_team = models.ForeignKey("accounts.Team", null=True, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class TicketLink(models.Model):
    from_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    to_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=16, choices=LinkKind.choices, default=LinkKind.RELATED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_ticket", "to_ticket"], name="ticket_link_unique"),
            models.CheckConstraint(condition=~models.Q(from_ticket=models.F("to_ticket")), name="ticket_link_not_self"),
        ]


class TicketEvent(models.Model):
    """The timeline: one row per change, written by the service that made it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    by_customer = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="ticket_event_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class IdempotencyKey(models.Model):
    """`Idempotency-Key` of an API create: a retry returns the first ticket, not a second one.
    Remembered KEFU_IDEMPOTENCY_KEY_HOURS; after `expires_at` the key is free again and the clock
    deletes the row (index idempotency_key_expiry_idx)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_key_expiry_idx")]


class ReactionFailure(models.Model):
    """An after-commit or task reaction to a ticket fact that raised (kefu.tickets.reactions). The
    ticket change itself stands; the clock retries the reaction with backoff until it succeeds or
    MAX_ATTEMPTS is reached. Listed in the admin and by `kefu reactions --failed`."""

    reaction = models.CharField(_("reaction"), max_length=100)
    ticket_id = models.BigIntegerField(_("ticket id"))
    ticket_number = models.CharField(_("ticket number"), max_length=32)
    fact = models.JSONField(_("fact"))
    error = models.TextField(_("error"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    failed_at = models.DateTimeField(_("failed at"))
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("failed reaction")
        verbose_name_plural = _("failed reactions")
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="reaction_failure_due_idx",
                condition=models.Q(next_attempt_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.reaction} {self.ticket_number}"
