from __future__ import annotations

from django.urls import path

from kefu.appointments import views

app_name = "appointments"

urlpatterns = [
    path("", views.board, name="board"),
    path("book/<int:customer_id>/", views.book, name="book"),
    path("<int:appointment_id>/mark/", views.mark, name="mark"),
    path("<int:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("calls/<int:call_id>/", views.call, name="call"),
    path("walk-ins/", views.walkin, name="walkin"),
    path("reminders/", views.reminders, name="reminders"),
    path("reminders/<int:reminder_id>/book/", views.reminder_book, name="reminder_book"),
    path("reminders/<int:reminder_id>/dismiss/", views.reminder_dismiss, name="reminder_dismiss"),
    # The customer's pages: no login; the manage link is signed.
    path("online/", views.portal_book, name="portal_book"),
    path("m/<str:token>/", views.portal_manage, name="portal_manage"),
]
