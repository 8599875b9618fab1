from __future__ import annotations

from django.urls import path

from kefu.channels import views, views_cti, wechat_views

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
    # WeChat (kefu/channels/wechat_views.py)
    path("wechat/<int:account_id>/callback", wechat_views.callback, name="wechat_callback"),
    path("wechat/new/", wechat_views.account_edit, name="wechat_new"),
    path("wechat/<int:account_id>/", wechat_views.account_edit, name="wechat_edit"),
    path("wechat/claims/", wechat_views.claims, name="wechat_claims"),
    path("wechat/claims/<int:identity_id>/<str:action>/", wechat_views.claim_action, name="wechat_claim"),
    # phone and SMS (kefu/channels/views_cti.py)
    path("calls/", views_cti.calls, name="calls"),
    path("calls/<int:call_pk>/", views_cti.call_detail, name="call"),
    path("calls/<int:call_pk>/ticket/", views_cti.call_ticket, name="call_ticket"),
    path("cti/new/", views_cti.cti_account_edit, name="cti_account_new"),
    path("cti/<int:account_id>/", views_cti.cti_account_edit, name="cti_account_edit"),
    path("sms/new/", views_cti.sms_account_edit, name="sms_account_new"),
    path("sms/<int:account_id>/", views_cti.sms_account_edit, name="sms_account_edit"),
    path("sms/<int:account_id>/test/", views_cti.sms_account_test, name="sms_account_test"),
]
