from __future__ import annotations

from django.urls import path

from kefu.triage import views

app_name = "triage"

urlpatterns = [
    path("", views.index, name="index"),
    path("train/", views.train, name="train"),
    path("policy/", views.policy, name="policy"),
    path("try/", views.try_text, name="try"),
    path("tickets/<str:number>/", views.ticket_panel, name="ticket_panel"),
    path("board/", views.board, name="board"),
    path("suggestions/<int:suggestion_id>/", views.suggestion, name="suggestion"),
]
