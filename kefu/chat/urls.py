from __future__ import annotations

from django.urls import path

from kefu.chat import views

app_name = "chat"

urlpatterns = [
    path("widget.js", views.widget_js, name="widget_js"),
    path("m/", views.mobile, name="mobile"),
    path("upload/", views.visitor_upload, name="visitor_upload"),
    path("f/<int:file_id>/", views.visitor_file, name="visitor_file"),
    path("console/f/<int:file_id>/", views.agent_file, name="agent_file"),
    path("console/c/<int:conversation_id>/upload/", views.agent_upload, name="agent_upload"),
    path("console/c/<int:conversation_id>/suggest/", views.suggestions, name="suggestions"),
    path("console/", views.console, name="console"),
    path("console/state/", views.console_state, name="console_state"),
    path("console/capacity/", views.capacity, name="capacity"),
    path("console/replies/", views.canned_replies, name="canned_replies"),
    path("console/c/<int:conversation_id>/messages/", views.conversation_messages, name="messages"),
    path("console/c/<int:conversation_id>/<str:action>/", views.conversation_action, name="action"),
]
