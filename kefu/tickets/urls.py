from __future__ import annotations

from django.urls import path

from kefu.tickets.views import detail, intake, queue

app_name = "tickets"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("queue/tabs/", queue.queue_tabs, name="queue_tabs"),
    path("search/", queue.search, name="search"),
    path("overview/", queue.overview, name="overview"),
    path("new/", intake.ticket_new, name="new"),
    path("<str:number>/", detail.ticket_detail, name="detail"),
    path("<str:number>/reply/", detail.ticket_reply, name="reply"),
    path("<str:number>/assign/", detail.ticket_assign_view, name="assign"),
    path("<str:number>/status/", detail.ticket_status_view, name="status"),
    path("<str:number>/priority/", detail.ticket_priority_view, name="priority"),
    path("<str:number>/transfer/", detail.ticket_transfer_view, name="transfer"),
    path("<str:number>/tags/", detail.ticket_tags_view, name="tags"),
    path("<str:number>/link/", detail.ticket_link_view, name="link"),
    path("<str:number>/merge/", detail.ticket_merge_view, name="merge"),
    path("<str:number>/attachments/<int:attachment_id>/", detail.attachment_download, name="attachment"),
]
