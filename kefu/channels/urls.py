from __future__ import annotations

from django.urls import path

from kefu.channels import views

app_name = "channels"

urlpatterns = [
    path("", views.accounts, name="accounts"),
    path("accounts/new/", views.account_edit, name="account_new"),
    path("accounts/<int:account_id>/", views.account_edit, name="account_edit"),
    path("accounts/<int:account_id>/test/", views.account_test, name="account_test"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/<int:contact_id>/", views.contact_detail, name="contact"),
    path("contacts/<int:contact_id>/<str:action>/", views.contact_action, name="contact_action"),
    path("deliveries/<int:delivery_id>/retry/", views.delivery_retry, name="delivery_retry"),
]
