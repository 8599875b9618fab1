"""Idempotency keys expire (KEFU_IDEMPOTENCY_KEY_HOURS, default 24): keys saved before this
migration get created_at + that many hours, so a client's retry window is kept."""

from datetime import timedelta

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def _backfill(apps, schema_editor):
    hours = getattr(settings, "KEFU_IDEMPOTENCY_KEY_HOURS", 24)
    apps.get_model("tickets", "IdempotencyKey").objects.update(expires_at=F("created_at") + timedelta(hours=hours))


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0003_queue_open_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='idempotencykey',
            name='expires_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.RunPython(_backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='idempotencykey',
            index=models.Index(fields=['expires_at'], name='idempotency_key_expiry_idx'),
        ),
    ]
