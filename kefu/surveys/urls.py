from __future__ import annotations

from django.urls import path

from kefu.surveys import views

app_name = "surveys"

urlpatterns = [
    # The customer's link: no login, signed token.
    path("s/<str:token>/", views.answer, name="answer"),
    path("callbacks/", views.callbacks, name="callbacks"),
    path("callbacks/<int:callback_id>/result/", views.callback_result, name="callback_result"),
    path("archive/", views.archive, name="archive"),
    path("archive/<int:case_id>/", views.case_detail, name="case"),
    path("archive/<int:case_id>/care/", views.care_add, name="care_add"),
    path("care/<int:action_id>/done/", views.care_done, name="care_done"),
    path("archive/<int:case_id>/close/", views.case_close, name="case_close"),
    path("numbers/", views.numbers, name="numbers"),
    path("numbers/export.<str:fmt>", views.numbers_export, name="numbers_export"),
    path("summary/", views.summary, name="summary"),
]
