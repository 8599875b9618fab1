from __future__ import annotations

from django.urls import path

from kefu.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_search_view, name="search"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/documents/<int:document_id>/", views.document_download, name="document"),
]
