from __future__ import annotations

from django.urls import path

from kefu.care import views

app_name = "care"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/<int:customer_id>/earn/", views.earn, name="earn"),
    path("customers/<int:customer_id>/spend/", views.spend, name="spend"),
    path("customers/<int:customer_id>/prefs/", views.prefs, name="prefs"),
    # The customer's points page: no login; the link is signed.
    path("p/<str:token>/", views.portal_points, name="portal_points"),
]
