from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssetKind(models.TextChoices):
    VEHICLE = "vehicle", _("Vehicle")
    ORDER = "order", _("Order")
    DEVICE = "device", _("Device")
    OTHER = "other", _("Other")
