from __future__ import annotations

from django.contrib import admin

from kefu.triage.models import TriageFeedback, TriageModel, TriageSuggestion


@admin.register(TriageModel)
class TriageModelAdmin(admin.ModelAdmin):
    list_display = ("version", "trained_at", "n_train", "n_test", "score", "previous_score", "promoted", "is_active")
    readonly_fields = [f.name for f in TriageModel._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(TriageSuggestion)
class TriageSuggestionAdmin(admin.ModelAdmin):
    list_display = ("ticket", "field", "label", "confidence", "state", "decided_by", "model_version", "created_at")
    list_filter = ("field", "state", "decided_by")
    raw_id_fields = ("ticket", "resolved_by")


@admin.register(TriageFeedback)
class TriageFeedbackAdmin(admin.ModelAdmin):
    list_display = ("ticket", "field", "suggested", "final", "accepted", "actor", "created_at")
    list_filter = ("field", "accepted")
    raw_id_fields = ("ticket", "suggestion", "actor")
