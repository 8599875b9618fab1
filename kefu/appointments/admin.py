from __future__ import annotations

from django.contrib import admin

from kefu.appointments.models import Appointment, ReservedHours, Resource, ServiceType


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "hours", "weekdays", "slot_minutes", "capacity", "is_active")


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "slots", "on_portal")


@admin.register(ReservedHours)
class ReservedHoursAdmin(admin.ModelAdmin):
    list_display = ("resource", "weekday", "start", "end", "capacity")


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ("customer", "resource", "service_type", "start", "status", "source")
    list_filter = ("status", "source", "resource")
    raw_id_fields = ("customer", "asset", "ticket", "booked_by")
