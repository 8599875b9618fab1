from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import migrations


def forwards(apps, schema_editor):
    TriagePolicy = apps.get_model("triage", "TriagePolicy")
    TriageSchedule = apps.get_model("triage", "TriageSchedule")
    for field in ("category", "priority", "complaint", "team"):
        # Suggest only: auto-apply stays off until a manager has seen the model's figures.
        TriagePolicy.objects.get_or_create(field=field, defaults={"mode": "suggest", "threshold": 0.9})
    if not TriageSchedule.objects.exists():
        local = datetime.now(ZoneInfo("Asia/Shanghai"))
        due = local.replace(hour=3, minute=0, second=0, microsecond=0)
        if due <= local:
            due += timedelta(days=1)
        TriageSchedule.objects.create(train_due_at=due.astimezone(ZoneInfo("UTC")))


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
