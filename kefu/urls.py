from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic.base import RedirectView

from kefu.api import api

admin.site.site_header = "kefu 客服中心"
admin.site.site_title = "kefu"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="tickets:queue", permanent=False)),
    path("accounts/", include("kefu.accounts.urls")),
    path("tickets/", include("kefu.tickets.urls")),
    path("workforce/", include("kefu.workforce.urls")),
    path("customers/", include("kefu.customers.urls")),
    path("sla/", include("kefu.sla.urls")),
    path("surveys/", include("kefu.surveys.urls")),
    path("portal/", include("kefu.tickets.portal_urls")),
    path("knowledge/", include("kefu.knowledge.urls")),
    path("dispatch/", include("kefu.dispatch.urls")),
    path("chat/", include("kefu.chat.urls")),
    path("complaints/", include("kefu.complaints.urls")),
    path("quality/", include("kefu.quality.urls")),
    path("appointments/", include("kefu.appointments.urls")),
    path("channels/", include("kefu.channels.urls")),
    path("operations/", include("kefu.operations.urls")),
    path("triage/", include("kefu.triage.urls")),
    path("performance/", include("kefu.performance.urls")),
    path("points/", include("kefu.points.urls")),
    path("reports/", include("kefu.reports.urls")),
    path("care/", include("kefu.care.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

# JSON in the API's error shape under /api/ (kefu.core.views), Django's pages elsewhere.
handler400 = "kefu.core.views.bad_request"
handler403 = "kefu.core.views.permission_denied"
handler404 = "kefu.core.views.page_not_found"
handler500 = "kefu.core.views.server_error"
