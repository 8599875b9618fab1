from __future__ import annotations

from django.urls import path

from kefu.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.index, name="index"),
    path("articles/new/", views.article_edit, name="article_new"),
    path("articles/preview/", views.article_preview, name="article_preview"),
    path("articles/<int:article_id>/", views.article_detail, name="article"),
    path("articles/<int:article_id>/edit/", views.article_edit, name="article_edit"),
    path("articles/<int:article_id>/status/", views.article_transition, name="article_status"),
    path("articles/<int:article_id>/vote/", views.article_vote, name="article_vote"),
    path("replies/", views.replies, name="replies"),
    path("replies/pick/", views.reply_picker, name="reply_picker"),
    path("replies/<int:reply_id>/insert/", views.reply_insert, name="reply_insert"),
    path("cases/", views.cases, name="cases"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/review/", views.case_review, name="case_review"),
    path("tickets/<str:number>/save-as-case/", views.case_from_ticket, name="case_from_ticket"),
    path("tickets/<str:number>/suggestions/", views.suggestions, name="suggestions"),
    path("tickets/<str:number>/feedback/", views.suggestion_feedback, name="suggestion_feedback"),
    path("help/", views.help_index, name="help"),
    path("help/<int:article_id>/", views.help_article, name="help_article"),
]
