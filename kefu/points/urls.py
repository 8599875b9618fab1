from __future__ import annotations

from django.urls import path

from kefu.points import views

app_name = "points"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("redeem/", views.redeem, name="redeem"),
    path("redemptions/<int:redemption_id>/cancel/", views.redemption_cancel, name="redemption_cancel"),
    path("redemptions/<int:redemption_id>/decide/", views.redemption_decide, name="redemption_decide"),
    path("approvals/", views.approvals, name="approvals"),
    path("award/", views.award, name="award"),
    path("awards/<int:award_id>/decide/", views.award_decide, name="award_decide"),
    path("agents/<int:agent_id>/", views.agent_ledger, name="agent"),
    path("entries/<int:entry_id>/reverse/", views.reverse, name="reverse"),
    path("surveys/<int:survey_id>/praise/", views.praise_survey, name="praise_survey"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/<int:item_id>/", views.catalogue_item, name="catalogue_item"),
    path("settings/", views.settings_save, name="settings"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path("suggestions/<int:suggestion_id>/<str:action>/", views.suggestion_decide, name="suggestion_decide"),
    path("star/", views.star, name="star"),
]
