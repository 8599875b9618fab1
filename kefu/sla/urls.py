from __future__ import annotations

from django.urls import path

from kefu.sla import views

app_name = "sla"

urlpatterns = [
    path("", views.at_risk, name="index"),
    path("at-risk/", views.at_risk, name="at_risk"),
    path("badges/", views.badges, name="badges"),
    path("calendars/", views.calendars, name="calendars"),
    path("calendars/<int:calendar_id>/", views.calendar_year_view, name="calendar_year"),
    path("calendars/<int:calendar_id>/hours/", views.calendar_hours, name="calendar_hours"),
    path("calendars/<int:calendar_id>/toggle/", views.calendar_day_toggle, name="calendar_toggle"),
]
