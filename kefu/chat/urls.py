from __future__ import annotations

from django.urls import path

from kefu.chat import views

app_name = "chat"

urlpatterns = [
    path("widget.js", views.widget_js, name="widget_js"),
    path("m/", views.mobile, name="mobile"),
    path("console/", views.console, name="console"),
    path("console/state/", views.console_state, name="console_state"),
    path("console/capacity/", views.capacity, name="capacity"),
    path("console/replies/", views.canned_replies, name="canned_replies"),
    path("console/c/<int:conversation_id>/messages/", views.conversation_messages, name="messages"),
    path("console/c/<int:conversation_id>/<str:action>/", views.conversation_action, name="action"),
]
