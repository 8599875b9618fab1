"""WeChat tables of the channels app (imported by kefu/channels/models.py so Django registers them).

- `WechatIdentity`: one WeChat user (OA openid, or WeCom 微信客服 external_userid) of one account,
  with the customer it is linked to, the phone number they claimed (unverified until an agent
  confirms it) and their last message (the 48-hour customer-service window counts from it).
- `WechatState`: per account, the cached access_token (encrypted, with its expiry; one row so that
  every process shares one token — a second fetch would invalidate the first after 5 minutes) and
  WeCom's sync_msg cursor."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ClaimStatus(models.TextChoices):
    NONE = "none", _("Not asked")
    ASKED = "asked", _("Phone asked")
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class WechatIdentity(models.Model):
    account = models.ForeignKey("kefu_channels.ChannelAccount", on_delete=models.CASCADE, related_name="wechat_identities")
    openid = models.CharField(_("openid"), max_length=64)
    unionid = models.CharField(_("unionid"), max_length=64, blank=True, default="")
    open_kfid = models.CharField(max_length=64, blank=True, default="")  # WeCom: the 客服账号 they wrote to
    nickname = models.CharField(_("nickname"), max_length=100, blank=True, default="")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subscribed = models.BooleanField(_("subscribed"), default=True)
    claimed_phone = models.CharField(_("claimed phone"), max_length=32, blank=True, default="")
    claim_status = models.CharField(_("phone claim"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.NONE)
    claimed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    last_inbound_at = models.DateTimeField(_("last message"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("WeChat identity")
        verbose_name_plural = _("WeChat identities")
        constraints = [models.UniqueConstraint(fields=["account", "openid"], name="wechat_identity_unique_openid")]
        indexes = [
            models.Index(fields=["claim_status", "claimed_at"], name="wechat_identity_claim_idx"),
            models.Index(fields=["customer"], name="wechat_identity_customer_idx"),
        ]

    def __str__(self) -> str:
        return self.openid


class WechatState(models.Model):
    account = models.OneToOneField("kefu_channels.ChannelAccount", on_delete=models.CASCADE, primary_key=True, related_name="+")
    token_encrypted = models.TextField(blank=True, default="")
    token_expires_at = models.DateTimeField(null=True, blank=True)
    token_fetched_at = models.DateTimeField(null=True, blank=True)
    token_fetches = models.PositiveIntegerField(default=0)
    sync_cursor = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("WeChat account state")
        verbose_name_plural = _("WeChat account states")
