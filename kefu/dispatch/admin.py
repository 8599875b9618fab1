"""Rule editing in the Django admin. Saves go through the dispatch services, which check the role
and tell every process to reload the compiled rules."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from kefu.dispatch.models import CategoryRule, DispatchDecision, RoutingRule, TriageRule
from kefu.dispatch.services import rule_delete, rule_save, rules_changed_m2m


class RuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    ordering = ("position", "id")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        rule_save(actor=request.user, obj=obj)  # type: ignore[arg-type]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        rules_changed_m2m()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        rule_delete(actor=request.user, obj=obj)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            rule_delete(actor=request.user, obj=obj)  # type: ignore[arg-type]


@admin.register(TriageRule)
class TriageRuleAdmin(RuleAdmin):
    list_display = ("name", "position", "is_active", "set_priority", "set_severity")
    list_editable = ("position", "is_active")
    filter_horizontal = ("match_tiers", "notify_users")


@admin.register(RoutingRule)
class RoutingRuleAdmin(RuleAdmin):
    list_display = ("name", "position", "is_active", "team", "skip_sticky")
    list_editable = ("position", "is_active")
    filter_horizontal = ("match_tiers", "match_categories", "required_skills")


@admin.register(CategoryRule)
class CategoryRuleAdmin(RuleAdmin):
    list_display = ("category", "position", "is_active")
    list_editable = ("position", "is_active")


@admin.register(DispatchDecision)
class DispatchDecisionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("ticket", "trigger", "outcome", "team", "mode", "chosen", "created_at")
    list_filter = ("trigger", "outcome", "mode")
    readonly_fields = [f.name for f in DispatchDecision._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
