"""Staff account pages: login and logout are Django's auth views (see urls.py); presence is here."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kefu.accounts.forms import PresenceForm
from kefu.accounts.services import user_set_presence
from kefu.core.errors import DomainError
from kefu.core.htmx import FORM_ERROR_STATUS, AuthedHtmxRequest, render_region, toast, with_events


@require_POST
@login_required
def presence_set(request: AuthedHtmxRequest) -> HttpResponse:
    """Online / busy / away / offline from the header switcher."""
    form = PresenceForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            user_set_presence(actor=request.user, user=request.user, presence=form.cleaned_data["presence"])
        except DomainError as exc:
            form.add_error(None, str(exc.message))
    if form.errors:
        status = FORM_ERROR_STATUS
    if request.htmx:
        response = render_region(request, "_layout/header.html", {}, region="user-presence", status=status)
        if status == 200:
            with_events(response, kefuToast=toast(request.user.get_presence_display()))
        return response
    if status != 200:
        messages.error(request, " ".join(str(e) for e in form.errors.get("presence", form.non_field_errors())))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "tickets:queue"
    return redirect(back)


class LoginView(auth_views.LoginView):
    """Django's sign-in page; a locked-out attempt answers 429 with the form and its message."""

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if getattr(form, "locked", False):
            response.status_code = 429
        return response
