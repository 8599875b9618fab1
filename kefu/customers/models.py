from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from kefu.customers.choices import AssetKind


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerTier(models.Model):
    """普通 / 金卡 / 钻石 ...: configurable; `rank` orders them (higher is more valuable)."""

    name = models.CharField(_("name"), max_length=32, unique=True)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)
    is_default = models.BooleanField(_("default tier"), default=False)

    class Meta:
        verbose_name = _("customer tier")
        verbose_name_plural = _("customer tiers")
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    wechat_id = models.CharField(_("WeChat ID"), max_length=64, blank=True)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    external_id = models.CharField(_("external ID"), max_length=64, null=True, blank=True, unique=True)
    tier = models.ForeignKey(
        CustomerTier, verbose_name=_("tier"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_vip = models.BooleanField(_("VIP"), default=False)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dedicated account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    notes = models.TextField(_("notes"), blank=True)
    # Customer care (kefu/care): the birthday greeting's date, and the customer's "no care messages".
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    care_opt_out = models.BooleanField(_("no care messages"), default=False)
    # 省市, e.g. 广东省深圳市: complaint early warning counts and detects per region (kefu/complaints).
    region = models.CharField(_("region"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["name"], name="customer_name_idx"),
            models.Index(Lower("email"), name="customer_email_lower_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class CustomerPhone(models.Model):
    """Every phone number of a customer, primary included, so a phone search is one index lookup."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("number"), max_length=32)
    label = models.CharField(_("label"), max_length=16, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["-is_primary", "id"]
        indexes = [models.Index(fields=["number"], name="customer_phone_number_idx")]
        constraints = [
            models.UniqueConstraint(fields=["customer", "number"], name="customer_phone_unique"),
        ]

    def __str__(self) -> str:
        return self.number


class CustomerAsset(models.Model):
    """A vehicle (by VIN or plate: "one car, one file"), an order, a device; free attributes in JSON."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(_("kind"), max_length=16, choices=AssetKind.choices, default=AssetKind.OTHER)
    identifier = models.CharField(_("identifier (VIN, plate, order number)"), max_length=64)
    name = models.CharField(_("name"), max_length=100, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        indexes = [models.Index(fields=["identifier"], name="customer_asset_ident_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.identifier}"


class CustomerDocument(models.Model):
    """A file archived once on the customer and reusable on later tickets ("submit once")."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("file"), upload_to="documents/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "sha256"], name="customer_document_unique_content"),
        ]

    def __str__(self) -> str:
        return self.name
