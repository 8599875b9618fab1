from __future__ import annotations

from django.urls import path

from kefu.workforce import views

app_name = "workforce"

urlpatterns = [
    path("", views.index, name="index"),
    path("queues/new/", views.queue_settings, name="queue_new"),
    path("queues/<int:queue_id>/settings/", views.queue_settings, name="queue_settings"),
    path("queues/<int:queue_id>/forecast/", views.forecast_new, name="forecast_new"),
    path("queues/<int:queue_id>/intraday/", views.intraday, name="intraday"),
    path("queues/<int:queue_id>/import/", views.import_new, name="import_new"),
    path("imports/<int:import_id>/", views.import_detail, name="import"),
    path("forecasts/<int:forecast_id>/", views.forecast_detail, name="forecast"),
    path("forecasts/<int:forecast_id>/schedule/", views.schedule_new, name="schedule_new"),
    path("schedules/<int:schedule_id>/", views.schedule_detail, name="schedule"),
    path("schedules/<int:schedule_id>/publish/", views.schedule_publish, name="schedule_publish"),
    path("schedules/<int:schedule_id>/export.xlsx", views.schedule_export, name="schedule_export"),
    path("me/", views.my_schedule, name="my_schedule"),
    path("leave/", views.leave_mine, name="leave"),
    path("leave/inbox/", views.leave_inbox, name="leave_inbox"),
    path("leave/<int:leave_id>/decide/", views.leave_decide, name="leave_decide"),
]
