from __future__ import annotations

from django.urls import path

from kefu.tickets import portal

app_name = "portal"

urlpatterns = [
    path("", portal.submit, name="submit"),
    path("t/<str:token>/", portal.track, name="track"),
    path("t/<str:token>/submitted/", portal.submitted, name="submitted"),
    path("t/<str:token>/reply/", portal.reply, name="reply"),
    path("t/<str:token>/reopen/", portal.reopen, name="reopen"),
    path("t/<str:token>/files/<int:attachment_id>/", portal.attachment, name="attachment"),
]
