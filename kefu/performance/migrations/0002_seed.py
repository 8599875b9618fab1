from __future__ import annotations

from django.db import migrations
from django.utils import timezone

DEFAULT_INDICATORS = [
    ("csat", 15, 90, True),
    ("fcr", 15, 80, True),
    ("first_response_median", 10, 60, False),
    ("resolution_median", 5, 900, False),
    ("sla_attainment", 10, 95, True),
    ("qa_average", 10, 85, True),
    ("complaint_rate", 10, 20, False),
    ("tickets_resolved", 5, 100, True),
    ("ticket_conversion", 5, 30, True),
    ("reopen_rate", 5, 5, False),
    ("transfer_rate", 5, 15, False),
    ("callback_on_time_rate", 5, 90, True),
]


def seed(apps, schema_editor):
    RollupClock = apps.get_model("performance", "RollupClock")
    Plan = apps.get_model("performance", "ScorecardPlan")
    Indicator = apps.get_model("performance", "ScorecardIndicator")
    RollupClock.objects.get_or_create(name="rollup", defaults={"due_at": timezone.now()})
    plan, created = Plan.objects.get_or_create(name="坐席月度绩效", defaults={"top_share": 20})
    if created:
        Indicator.objects.bulk_create(
            Indicator(plan=plan, metric=m, weight=w, target=t, higher_is_better=h, position=i)
            for i, (m, w, t, h) in enumerate(DEFAULT_INDICATORS)
        )


class Migration(migrations.Migration):
    dependencies = [("performance", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
