"""Seed the default 中国工作日历 (Mon–Fri 09:00–12:00, 13:30–18:00 plus every Chinese holiday and 调休
day the chinese-calendar package knows), a 7×24 calendar, and starting policies."""

from datetime import time

from django.db import migrations


def seed(apps, schema_editor):
    from kefu.core.calendar import chinese_holiday_years, chinese_holidays

    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    WorkingPeriod = apps.get_model("sla", "WorkingPeriod")
    CalendarDay = apps.get_model("sla", "CalendarDay")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    EscalationLevel = apps.get_model("sla", "EscalationLevel")
    SlaConfigVersion = apps.get_model("sla", "SlaConfigVersion")

    china = BusinessCalendar.objects.create(
        name="中国工作日历", tz="Asia/Shanghai", is_default=True, follows_chinese_holidays=True
    )
    WorkingPeriod.objects.bulk_create(
        [
            WorkingPeriod(calendar=china, weekday=d, start=start, end=end)
            for d in range(5)
            for start, end in ((time(9), time(12)), (time(13, 30), time(18)))
        ]
    )
    holidays, workdays = chinese_holidays(chinese_holiday_years())
    CalendarDay.objects.bulk_create(
        [CalendarDay(calendar=china, date=d, kind="holiday", source="package") for d in sorted(holidays)]
        + [CalendarDay(calendar=china, date=d, kind="workday", source="package") for d in sorted(workdays)]
    )
    always = BusinessCalendar.objects.create(
        name="7×24", tz="Asia/Shanghai", is_24x7=True, follows_chinese_holidays=False
    )

    default = SlaPolicy.objects.create(
        name="默认时效",
        is_default=True,
        position=1000,
        calendar=china,
        description="其他规则都不匹配时使用",
        dispatch_minutes=60,
        first_response_minutes=120,
        next_response_minutes=240,
        resolution_minutes=1350,  # 3 working days of 7.5 h
        warn_shares=[50, 80],
        pause_statuses=["pending_customer"],
    )
    urgent = SlaPolicy.objects.create(
        name="紧急工单",
        position=10,
        calendar=china,
        match_priorities=["urgent"],
        description="紧急需求 30 分钟内送达责任部门",
        dispatch_minutes=30,
        first_response_minutes=30,
        next_response_minutes=60,
        resolution_minutes=450,
        warn_shares=[50, 80],
        pause_statuses=["pending_customer"],
    )
    complaint = SlaPolicy.objects.create(
        name="投诉（一般）",
        position=20,
        calendar=always,
        match_kinds=["complaint"],
        description="一般投诉 48 小时内处理完毕（自然时间）",
        dispatch_minutes=30,
        first_response_minutes=120,
        next_response_minutes=240,
        resolution_minutes=48 * 60,
        warn_shares=[50, 80],
        pause_statuses=["pending_customer"],
    )
    for policy in (default, urgent, complaint):
        EscalationLevel.objects.create(policy=policy, level=1, delay_minutes=0, notify_team_lead=True)
        EscalationLevel.objects.create(policy=policy, level=2, delay_minutes=120, notify_managers=True)
    SlaConfigVersion.objects.update_or_create(pk=1, defaults={"token": "seeded"})


def unseed(apps, schema_editor):
    for name in ("EscalationLevel", "SlaPolicy", "CalendarDay", "WorkingPeriod", "BusinessCalendar", "SlaConfigVersion"):
        apps.get_model("sla", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
