"""Channel accounts, the contacts that arrive on them and the deliveries that go out.

One `Contact` row per inbound message (a mail, later a WeChat message or a call), written in the
same transaction as the ticket it made: its unique (account, external_id) makes intake idempotent,
and its raw payload (bounded) keeps what arrived even when parsing fails. One `Delivery` row per
agent reply that goes back out on the channel, with its own state and retry clock."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.channels.choices import ChannelKind, ContactStatus, DeliveryStatus


class ChannelAccount(models.Model):
    """A mailbox (later a WeChat app, a CTI account, an SMS gateway). `config` holds the plain
    settings of its kind (host, port, user ...); `secret_encrypted` the password or API secret,
    Fernet-encrypted (kefu.channels.secrets) and never shown again once saved."""

    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices, default=ChannelKind.EMAIL)
    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    secret_encrypted = models.TextField(default="", blank=True, editable=False)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team for new tickets"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    # A message from a customer with an open ticket on this channel updated within this window
    # joins that ticket instead of opening a new one.
    thread_window_hours = models.PositiveIntegerField(_("threading window (hours)"), default=72)
    # More contacts than this from one sender in an hour are kept but open no ticket.
    rate_limit_per_hour = models.PositiveIntegerField(_("messages per sender per hour"), default=20)
    poll_seconds = models.PositiveIntegerField(_("fetch every (seconds)"), default=60)
    fetch_due_at = models.DateTimeField(null=True, blank=True)
    last_fetch_at = models.DateTimeField(_("last fetch"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")
        ordering = ["kind", "name"]
        indexes = [
            models.Index(
                fields=["fetch_due_at"], name="channel_account_fetch_due_idx",
                condition=models.Q(fetch_due_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)


class Contact(models.Model):
    """One inbound message on a channel account, kept whatever became of it."""

    account = models.ForeignKey(ChannelAccount, verbose_name=_("account"), on_delete=models.PROTECT, related_name="contacts")
    channel = models.CharField(_("channel"), max_length=16, choices=ChannelKind.choices)
    external_id = models.CharField(_("external id"), max_length=255)
    sender = models.CharField(_("sender"), max_length=254, blank=True, default="")
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True, default="")
    subject = models.CharField(_("subject"), max_length=255, blank=True, default="")
    # The payload as it arrived, cut at KEFU_CHANNELS_RAW_MAX_BYTES (raw_size is the real size).
    raw = models.BinaryField(editable=False)
    raw_size = models.PositiveIntegerField(default=0)
    raw_truncated = models.BooleanField(default=False)
    status = models.CharField(_("status"), max_length=16, choices=ContactStatus.choices)
    reason = models.CharField(_("reason"), max_length=64, blank=True, default="")
    error = models.TextField(_("error"), blank=True, default="")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_ticket = models.BooleanField(default=False)
    ticket_message_id = models.BigIntegerField(null=True, blank=True)
    refused_attachments = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(_("received at"))
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("channel contact")
        verbose_name_plural = _("channel contacts")
        constraints = [
            models.UniqueConstraint(fields=["account", "external_id"], name="channel_contact_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="channel_contact_status_idx"),
            models.Index(fields=["account", "sender", "received_at"], name="channel_contact_sender_idx"),
            models.Index(fields=["ticket", "-received_at"], name="channel_contact_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.external_id}"


class Delivery(models.Model):
    """An agent's public reply going out on the ticket's channel. `next_attempt_at` is the clock's
    due column: set while pending, cleared once sent or given up."""

    account = models.ForeignKey(ChannelAccount, on_delete=models.PROTECT, related_name="deliveries")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    message = models.OneToOneField("tickets.TicketMessage", on_delete=models.CASCADE, related_name="+")
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=255, blank=True, default="")
    external_id = models.CharField(_("external id"), max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True, default="")
    references = models.TextField(blank=True, default="")
    status = models.CharField(_("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True, default="")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="channel_delivery_due_idx",
                condition=models.Q(next_attempt_at__isnull=False),
            ),
            models.Index(fields=["ticket", "created_at"], name="channel_delivery_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.status}"


# --- WeChat (kefu/channels/wechat_models.py) --------------------------------------------------------
# --- phone (CTI) and SMS: their own module, registered with this app ------------------------------
from kefu.channels.models_cti import Call, CallEvent, SmsMessage, SmsOptOut  # noqa: E402,F401
from kefu.channels.wechat_models import WechatIdentity, WechatState  # noqa: E402, F401
