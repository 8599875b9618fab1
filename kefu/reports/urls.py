from __future__ import annotations

from django.urls import path

from kefu.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.pack_new, name="new"),
    path("<int:pack_id>/", views.pack, name="pack"),
    path("<int:pack_id>/render.<str:fmt>", views.pack_render, name="render"),
    path("<int:pack_id>/build/", views.pack_build, name="build"),
    path("<int:pack_id>/schedules/", views.schedule_new, name="schedule_new"),
    path("runs/<int:run_id>.<str:fmt>", views.download, name="download"),
]
