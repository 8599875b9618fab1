from __future__ import annotations

from django.urls import path

from kefu.dispatch import views

app_name = "dispatch"

urlpatterns = [
    path("", views.index, name="index"),
    path("teams/<int:team_id>/drain/", views.drain, name="drain"),
    path("rules/", views.rules, name="rules"),
    path("rules/preview/", views.preview, name="preview"),
    path("rules/mode/", views.team_mode, name="team_mode"),
    path("tickets/<str:number>/", views.ticket_panel, name="ticket_panel"),
    path("tickets/<str:number>/suggestion/", views.suggestion, name="suggestion"),
]
