from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kefu.sla.forms import SlaPolicyForm
from kefu.sla.models import (
    BusinessCalendar,
    CalendarDay,
    EscalationLevel,
    Notification,
    RobotWebhook,
    SlaEvent,
    SlaPolicy,
    TicketSla,
    WorkingPeriod,
)
from kefu.sla.services import calendar_sync_holidays, sla_config_delete, sla_config_edited, sla_config_save


class ConfigAdmin(admin.ModelAdmin):
    """Saves and deletes through the services, so every process reloads the configuration."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        sla_config_save(obj=obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        sla_config_edited()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        sla_config_delete(obj=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            sla_config_delete(obj=obj)


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ConfigAdmin):
    list_display = ("name", "tz", "is_default", "is_24x7", "follows_chinese_holidays")
    inlines = [WorkingPeriodInline]
    actions = ["sync_holidays"]

    @admin.action(description=_("Re-seed Chinese holidays (manual days are kept)"))
    def sync_holidays(self, request: HttpRequest, queryset: QuerySet[BusinessCalendar]) -> None:
        for cal in queryset.filter(is_24x7=False, follows_chinese_holidays=True):
            counts = calendar_sync_holidays(calendar=cal)
            self.message_user(request, f"{cal}: {counts}")


@admin.register(CalendarDay)
class CalendarDayAdmin(ConfigAdmin):
    list_display = ("date", "calendar", "kind", "note", "source")
    list_filter = ("calendar", "kind", "source")
    date_hierarchy = "date"


class EscalationInline(admin.StackedInline):
    model = EscalationLevel
    extra = 0
    max_num = 3
    filter_horizontal = ("notify_users",)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ConfigAdmin):
    list_display = (
        "name", "position", "is_active", "is_default", "calendar",
        "dispatch_minutes", "first_response_minutes", "next_response_minutes", "resolution_minutes",
    )
    list_editable = ("position", "is_active")
    form = SlaPolicyForm
    filter_horizontal = ("match_categories", "match_tiers")
    inlines = [EscalationInline]

    def has_delete_permission(self, request: HttpRequest, obj: SlaPolicy | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_default)


@admin.register(RobotWebhook)
class RobotWebhookAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "team", "include_warnings", "is_active")


@admin.register(TicketSla)
class TicketSlaAdmin(admin.ModelAdmin):
    list_display = ("ticket", "target", "state", "due_at", "achieved_at", "elapsed", "warnings_fired", "escalation_level")
    list_filter = ("target", "state")
    raw_id_fields = ("ticket",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SlaEvent)
class SlaEventAdmin(admin.ModelAdmin):
    list_display = ("ticket", "target", "kind", "level", "moment", "fired_at", "late")
    list_filter = ("kind", "target", "late")
    raw_id_fields = ("ticket",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "title", "created_at", "read_at")
    raw_id_fields = ("ticket", "event", "user")
