from __future__ import annotations

from django.contrib import admin

from kefu.performance.models import ScorecardIndicator, ScorecardMonth, ScorecardPlan


class IndicatorInline(admin.TabularInline):
    model = ScorecardIndicator
    extra = 1
    fields = ("position", "metric", "weight", "target", "higher_is_better")


@admin.register(ScorecardPlan)
class ScorecardPlanAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "role", "top_share", "is_active")
    inlines = [IndicatorInline]


@admin.register(ScorecardMonth)
class ScorecardMonthAdmin(admin.ModelAdmin):
    list_display = ("plan", "month", "locked_at", "locked_by")
    readonly_fields = ("plan", "month", "locked_at", "locked_by", "frozen")

    def has_add_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
