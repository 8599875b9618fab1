"""Phone (CTI) and SMS records of the channels app (imported at the end of kefu.channels.models).

- `Call`: one row per call a CTI account reports (its call id unique per account), with the times
  of its life (ringing, answered, ended), the handling parts in seconds (wait, talk, hold, wrap-up),
  the agent, the queue, the recording reference, the customer matched by the caller's number, the
  ticket it belongs to and the callback a missed call opened.
- `CallEvent`: one row per signed event taken in, unique (account, event id): a CTI system's retry
  of an event changes nothing (idempotent intake).
- `SmsMessage`: one row per SMS out (a reply, a survey link, a callback notice, a code) or in, with
  its delivery state; outbound rows carry their own retry clock (`next_attempt_at`).
- `SmsOptOut`: numbers that answered 退订 / TD; nothing but verification codes goes to them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CallState(models.TextChoices):
    RINGING = "ringing", _("Ringing")
    ANSWERED = "answered", _("In conversation")
    HELD = "held", _("On hold")
    ENDED = "ended", _("Ended")
    MISSED = "missed", _("Missed")


class CallDirection(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class Call(models.Model):
    account = models.ForeignKey("kefu_channels.ChannelAccount", on_delete=models.PROTECT, related_name="calls")
    call_id = models.CharField(_("call id"), max_length=128)
    direction = models.CharField(_("direction"), max_length=4, choices=CallDirection.choices, default=CallDirection.INBOUND)
    caller = models.CharField(_("caller"), max_length=32)
    callee = models.CharField(_("callee"), max_length=32, blank=True, default="")
    queue = models.CharField(_("queue"), max_length=64, blank=True, default="")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent_ref = models.CharField(_("agent (as the CTI names them)"), max_length=64, blank=True, default="")
    state = models.CharField(_("state"), max_length=12, choices=CallState.choices, default=CallState.RINGING)
    ringing_at = models.DateTimeField(_("ringing at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)  # set while on hold
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(_("wait (s)"), default=0)
    talk_seconds = models.PositiveIntegerField(_("talk (s)"), default=0)
    hold_seconds = models.PositiveIntegerField(_("hold (s)"), default=0)
    wrap_seconds = models.PositiveIntegerField(_("wrap-up (s)"), default=0)
    transfers = models.PositiveSmallIntegerField(_("transfers"), default=0)
    recording_url = models.URLField(_("recording"), max_length=500, blank=True, default="")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    callback_id = models.BigIntegerField(null=True, blank=True)  # surveys.Callback opened for a missed call
    popped_at = models.DateTimeField(null=True, blank=True)  # when the screen pop was pushed
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-ringing_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "call_id"], name="channel_call_unique_id")]
        indexes = [
            models.Index(fields=["-ringing_at"], name="channel_call_ringing_idx"),
            models.Index(fields=["agent", "ended_at"], name="channel_call_agent_idx"),
            models.Index(fields=["customer", "-ringing_at"], name="channel_call_customer_idx"),
            models.Index(fields=["ticket"], name="channel_call_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} {self.state}"

    @property
    def handle_seconds(self) -> int:
        """Handling time (AHT's numerator): talk + hold + wrap-up."""
        return self.talk_seconds + self.hold_seconds + self.wrap_seconds


class CallEvent(models.Model):
    account = models.ForeignKey("kefu_channels.ChannelAccount", on_delete=models.PROTECT, related_name="+")
    event_id = models.CharField(max_length=128)
    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16)
    at = models.DateTimeField()
    received_at = models.DateTimeField()
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["account", "event_id"], name="channel_call_event_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"


class SmsDirection(models.TextChoices):
    OUTBOUND = "out", _("Sent")
    INBOUND = "in", _("Received")


class SmsStatus(models.TextChoices):
    PENDING = "pending", _("Sending")
    SENT = "sent", _("Accepted by the gateway")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Not delivered")
    RECEIVED = "received", _("Received")


class SmsPurpose(models.TextChoices):
    REPLY = "reply", _("Ticket reply")
    SURVEY = "survey", _("Survey link")
    CALLBACK = "callback", _("Callback notice")
    CODE = "code", _("Verification code")
    INBOUND = "inbound", _("Customer message")


class SmsMessage(models.Model):
    account = models.ForeignKey("kefu_channels.ChannelAccount", on_delete=models.PROTECT, related_name="sms")
    direction = models.CharField(_("direction"), max_length=4, choices=SmsDirection.choices)
    purpose = models.CharField(_("purpose"), max_length=12, choices=SmsPurpose.choices)
    phone = models.CharField(_("phone"), max_length=32)
    body = models.TextField(_("text"))
    template_code = models.CharField(max_length=64, blank=True, default="")
    template_params = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=SmsStatus.choices)
    # Outbound: the gateway's BizId (filled when accepted); inbound: the gateway's message id.
    external_id = models.CharField(_("external id"), max_length=128, blank=True, default="")
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.OneToOneField(
        "tickets.TicketMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True, default="")
    receipt_code = models.CharField(_("receipt"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS")
        verbose_name_plural = _("SMS")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="channel_sms_due_idx", condition=models.Q(next_attempt_at__isnull=False)
            ),
            models.Index(fields=["account", "external_id"], name="channel_sms_external_idx"),
            models.Index(fields=["ticket", "created_at"], name="channel_sms_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.phone} {self.status}"


class SmsOptOut(models.Model):
    phone = models.CharField(_("phone"), max_length=32, unique=True)
    keyword = models.CharField(_("keyword"), max_length=16)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")

    def __str__(self) -> str:
        return self.phone
