from __future__ import annotations

from django.urls import path

from kefu.operations import views

app_name = "operations"

urlpatterns = [
    path("", views.index, name="index"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("plans/<int:plan_id>/activate/", views.activate, name="activate"),
    path("incidents/summary/", views.summary, name="summary"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="incident"),
    path("incidents/<int:incident_id>/<str:action>/", views.incident_action, name="incident_action"),
    path("materials/", views.materials, name="materials"),
    path("requisitions/<int:requisition_id>/<str:action>/", views.requisition_action, name="requisition_action"),
    path("equipment/", views.equipment_index, name="equipment"),
    path("equipment/<int:device_id>/", views.device_detail, name="device"),
    path("equipment/<int:device_id>/<str:action>/", views.device_action, name="device_action"),
    path("equipment/<str:action>/", views.equipment_action, name="equipment_action"),
    path("budget/", views.budget_index, name="budget"),
    path("budget/returns/", views.budget_returns, name="budget_returns"),
    path("budget/<int:line_id>/", views.budget_line, name="budget_line"),
    path("budget/<str:action>/", views.budget_action, name="budget_action"),
]
