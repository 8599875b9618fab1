from __future__ import annotations

from django.urls import path

from kefu.performance import views

app_name = "performance"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/trend.csv", views.trend_csv, name="trend_csv"),
    path("drill/", views.drill, name="drill"),
    path("table/", views.table, name="table"),
    path("team/", views.team, name="team"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("scorecard/<int:plan_id>/lock/", views.scorecard_lock, name="lock"),
]
