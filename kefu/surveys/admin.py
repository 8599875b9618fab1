"""Configuration edited by administrators: survey templates and callback plans. Other rows are
read-only here; they change only through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kefu.surveys.models import CallbackPlan, SurveyTemplate


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "is_active", "is_default", "ask_csat", "ask_nps", "delay_minutes", "expire_days")
    list_editable = ("position", "is_active")


@admin.register(CallbackPlan)
class CallbackPlanAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "is_active", "offsets_days", "match_category")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Plans keep their callbacks' history: deactivate instead.
        return False
