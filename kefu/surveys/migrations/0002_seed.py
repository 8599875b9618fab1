"""The default survey template, the dealership callback plans of the domain notes (configurable),
and the first daily-summary row (each run of the summary schedules the next)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations
from django.utils import timezone

PLANS = [
    ("小修回访", "minor_repair", [3], "您好，我是客服中心的回访专员。您前几天在我们这里做了小修，想了解一下车辆现在的情况。",
     ["车辆问题是否已经解决？", "对维修服务是否满意？"]),
    ("二级保养回访", "maintenance_l2", [10], "您好，我是客服中心的回访专员。您的车辆十天前做了二级保养，想了解一下使用情况。",
     ["保养后车辆使用是否正常？", "对保养服务是否满意？"]),
    ("大修回访", "major_overhaul", [10, 30, 90], "您好，我是客服中心的回访专员。您的车辆做了大修，我们会在 10、30、90 天回访车辆状况。",
     ["大修后车辆是否有异常？", "是否还有需要我们处理的问题？"]),
    ("销售交车回访", "sale_delivery", [7], "您好，我是客服中心的回访专员。恭喜您提车一周，想了解一下用车体验。",
     ["新车使用是否顺利？", "交车时的讲解是否清楚？"]),
]


def seed(apps, schema_editor):
    SurveyTemplate = apps.get_model("surveys", "SurveyTemplate")
    CallbackPlan = apps.get_model("surveys", "CallbackPlan")
    DailySummary = apps.get_model("surveys", "DailySummary")
    if not SurveyTemplate.objects.filter(is_default=True).exists():
        SurveyTemplate.objects.create(name="默认满意度调查", is_default=True, position=1000)
    for name, code, offsets, script, questions in PLANS:
        CallbackPlan.objects.get_or_create(
            code=code, defaults={"name": name, "offsets_days": offsets, "script": script, "questions": questions}
        )
    day = timezone.localdate()
    due = datetime.combine(day, time(18, 0), tzinfo=ZoneInfo(settings.TIME_ZONE))
    DailySummary.objects.get_or_create(day=day, defaults={"due_at": due})


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
