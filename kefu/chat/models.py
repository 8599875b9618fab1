from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kefu.chat.choices import ConversationStatus, OfferReason, OfferStatus, Sender


class Visitor(models.Model):
    """Someone using the widget. Anonymous until they give a name or phone; a phone that matches a
    customer links them, marked unverified (anyone may type any number)."""

    key = models.CharField(max_length=43, unique=True)
    name = models.CharField(_("name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="chat_visitors",
    )
    customer_verified = models.BooleanField(_("customer verified"), default=False)
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")

    def __str__(self) -> str:
        return self.name or f"访客{self.pk}"

    @property
    def label(self) -> str:
        return self.name or f"访客{self.pk}"


class Conversation(models.Model):
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="conversations")
    status = models.CharField(
        _("status"), max_length=16, choices=ConversationStatus.choices, default=ConversationStatus.BOT
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="chat_conversations",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="chat_conversations",
    )
    # The highest sequence number handed out; bumped under the row lock, so numbers are gap-free.
    last_seq = models.PositiveIntegerField(default=0)
    visitor_read_seq = models.PositiveIntegerField(default=0)
    agent_read_seq = models.PositiveIntegerField(default=0)
    bot_misses = models.PositiveSmallIntegerField(default=0)
    handover_reason = models.CharField(_("handover reason"), max_length=32, blank=True)
    page_url = models.CharField(_("page"), max_length=300, blank=True)
    created_at = models.DateTimeField()
    waiting_since = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # How the chat ended: an agent marked it resolved (an unresolved chat leaves an open ticket).
    resolved = models.BooleanField(_("resolved"), default=False)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    # The reasons the visitor picked from the survey template's list with their stars.
    rating_reasons = models.JSONField(_("rating reasons"), default=list, blank=True)
    # The first-response time limit from the hand-over (the console's live badge), when the first
    # agent reply came, and the clock's column: the limit while nobody has answered (cleared by the
    # first reply or when the clock has pushed the breach).
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            models.Index(fields=["status", "waiting_since"], name="chat_conv_status_wait"),
            models.Index(fields=["assignee", "status"], name="chat_conv_assignee"),
            models.Index(fields=["sla_due_at"], name="chat_conv_sla_due", condition=Q(sla_due_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.visitor_id}"

    @property
    def is_open(self) -> bool:
        return self.status != ConversationStatus.ENDED

    @property
    def sla_state(self) -> str:
        """"met" / "breached" (answered, in time or late), "running" (waiting for the first reply,
        the console counts down to first_response_due_at), "late" (unanswered past it), or ""."""
        due = self.first_response_due_at
        if due is None:
            return ""
        if self.first_response_at is not None:
            return "met" if self.first_response_at <= due else "breached"
        if self.status == ConversationStatus.ENDED:
            return ""
        return "late" if self.sla_due_at is None else "running"


class ChatMessage(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    sender = models.CharField(max_length=16, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    # A whisper between agents: never sent to the visitor.
    internal = models.BooleanField(default=False)
    # The sender's id for the message, so a resend after a dropped socket is not stored twice.
    client_id = models.CharField(max_length=64, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="chat_message_seq_unique"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"], condition=~Q(client_id=""), name="chat_message_client_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"


class AgentChatSetting(models.Model):
    """How many chats an agent takes at once."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_setting")
    capacity = models.PositiveSmallIntegerField(_("chats at once"), default=3)

    class Meta:
        verbose_name = _("chat setting")
        verbose_name_plural = _("chat settings")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.capacity}"


class ChatOffer(models.Model):
    """A waiting chat offered to one agent. Pending until they accept or decline, or until `due_at`
    passes (the clock job `chat_offer` expires it and offers the chat to the next agent)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="offers")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_offers")
    status = models.CharField(_("status"), max_length=16, choices=OfferStatus.choices, default=OfferStatus.PENDING)
    reason = models.CharField(_("reason"), max_length=24, choices=OfferReason.choices)
    offered_at = models.DateTimeField()
    # Set while pending; the clock's column.
    due_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("chat offer")
        verbose_name_plural = _("chat offers")
        indexes = [
            models.Index(fields=["due_at"], name="chat_offer_due", condition=Q(due_at__isnull=False)),
            models.Index(fields=["agent", "status"], name="chat_offer_agent"),
        ]
        constraints = [
            # One pending offer per conversation at a time.
            models.UniqueConstraint(fields=["conversation"], condition=Q(status="pending"),
                                    name="chat_offer_one_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id} → {self.agent_id} ({self.status})"


class ChatFile(models.Model):
    """A file sent in a chat (by the visitor or an agent), checked by kefu.customers.uploads and
    served only through the access-checked views."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="files")
    message = models.OneToOneField(ChatMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="file")
    sender = models.CharField(max_length=16, choices=Sender.choices)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(_("file"), upload_to="chat/%Y/%m/")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("chat file")
        verbose_name_plural = _("chat files")

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
