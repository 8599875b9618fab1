from __future__ import annotations

from django.urls import path

from kefu.complaints import views

app_name = "complaints"

urlpatterns = [
    path("", views.board, name="board"),
    path("check/", views.check_now, name="check_now"),
    path("warnings/history/", views.history, name="history"),
    path("warnings/<int:warning_id>/", views.warning_detail, name="warning"),
    path("warnings/<int:warning_id>/<str:action>/", views.warning_action, name="warning_action"),
    path("bulletin/", views.bulletin, name="bulletin"),
    path("bulletin/weekly/", views.weekly_bulletin, name="weekly_bulletin"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="incident"),
    path("incidents/<int:incident_id>/<str:action>/", views.incident_action, name="incident_action"),
    path(
        "compensation/<int:compensation_id>/<str:action>/",
        views.compensation_action,
        name="compensation_action",
    ),
    path("tickets/<str:number>/close-override/", views.close_override, name="close_override"),
    path("joint/", views.joint_tasks, name="joint_tasks"),
    path("joint/<int:task_id>/<str:action>/", views.joint_task_action, name="joint_action"),
    path("posts/", views.posts, name="posts"),
    path("causes/", views.causes, name="causes"),
    path("causes/actions/", views.action_create, name="action_create"),
    path("causes/actions/<int:action_id>/done/", views.action_done, name="action_done"),
    path("causes/export.csv", views.causes_export, name="causes_export"),
]
