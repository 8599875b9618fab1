from __future__ import annotations

from django.urls import path

from kefu.quality import views

app_name = "quality"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("mine/", views.mine, name="mine"),
    path("items/<int:item_id>/start/", views.item_start, name="item_start"),
    path("items/<int:item_id>/spot/", views.spot_check, name="spot_check"),
    path("inspections/<int:inspection_id>/", views.inspection, name="inspection"),
    path("inspections/<int:inspection_id>/save/", views.inspection_save, name="inspection_save"),
    path("inspections/<int:inspection_id>/appeal/", views.appeal_create, name="appeal_create"),
    path("appeals/", views.appeals, name="appeals"),
    path("appeals/<int:appeal_id>/", views.appeal_detail, name="appeal"),
    path("appeals/<int:appeal_id>/decide/", views.appeal_decide, name="appeal_decide"),
    path("coaching/", views.coaching, name="coaching"),
    path("coaching/<int:task_id>/done/", views.coaching_done, name="coaching_done"),
    path("calibrations/", views.calibrations, name="calibrations"),
    path("calibrations/<int:calibration_id>/", views.calibration_detail, name="calibration"),
    path("calibrations/<int:calibration_id>/settle/", views.calibration_settle, name="calibration_settle"),
    path("results/", views.results, name="results"),
    path("weekly/", views.weekly_page, name="weekly"),
    path("weekly.xlsx", views.weekly_download, name="weekly_xlsx"),
    path("scorecards/", views.scorecards, name="scorecards"),
    path("scorecards/<int:scorecard_id>/", views.scorecard_edit, name="scorecard"),
    path("scorecards/<int:scorecard_id>/<str:action>/", views.scorecard_action, name="scorecard_action"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:plan_id>/edit/", views.plan_edit, name="plan_edit"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/edit/", views.case_update, name="case_update"),
    path("inspections/<int:inspection_id>/case/", views.case_save, name="case_save"),
    path("plans/<int:plan_id>/draw/", views.plan_draw, name="plan_draw"),
]
