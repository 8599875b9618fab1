from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kefu.tickets.models import Category, ReactionFailure
from kefu.tickets.reactions import failure_retry
from kefu.tickets.services import category_save


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("indented_name", "parent", "sort_order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)

    @admin.display(description=_("name"))
    def indented_name(self, obj: Category) -> str:
        return "— " * obj.depth + obj.name

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        category_save(category=obj)


@admin.register(ReactionFailure)
class ReactionFailureAdmin(admin.ModelAdmin):
    """After-commit and task reactions that raised: the ticket change stands, the clock retries."""

    list_display = ("failed_at", "reaction", "ticket_number", "attempts", "next_attempt_at", "resolved_at", "short_error")
    list_filter = ("reaction", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("ticket_number", "reaction")
    ordering = ("-failed_at",)
    readonly_fields = [f.name for f in ReactionFailure._meta.fields]
    actions = ["retry_now"]

    @admin.display(description=_("error"))
    def short_error(self, obj: ReactionFailure) -> str:
        return obj.error[:120]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Retry the selected reactions now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[ReactionFailure]) -> None:
        done = sum(failure_retry(failure_id=row.pk) for row in queryset.filter(resolved_at__isnull=True))
        self.message_user(request, _("%(done)s of %(n)s succeeded.") % {"done": done, "n": queryset.count()})
