from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import set_language

from kefu.accounts import views
from kefu.accounts.forms import LoginForm

app_name = "accounts"

urlpatterns = [
    path(
        "login/",
        views.LoginView.as_view(
            template_name="registration/login.html", authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("presence/", views.presence_set, name="presence"),
    path("language/", set_language, name="set_language"),
]
