from __future__ import annotations

from django.contrib import admin

from kefu.workforce.models import Queue


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin[Queue]):
    list_display = [
        "name",
        "team",
        "interval_minutes",
        "service_level",
        "service_time",
        "shrinkage",
        "is_active",
    ]

    # Writes go through the services (queue_update); the admin is for looking.
    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
