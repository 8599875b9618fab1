from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kefu.accounts import limits
from kefu.accounts.choices import Presence


class LoginForm(AuthenticationForm):
    """Django's sign-in form with the lock-out of kefu.accounts.limits: too many failures for a
    user name or from an address refuse every attempt (even a right password) for a while."""

    locked = False

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        ip = limits.client_ip(self.request) if self.request is not None else ""
        try:
            limits.login_check(username, ip)
        except limits.RateLimited as exc:
            self.locked = True
            minutes = max(1, -(-exc.retry_after // 60))
            raise ValidationError(
                _("Too many failed sign-ins. Try again in %(minutes)s minutes."), code="locked",
                params={"minutes": minutes},
            ) from exc
        try:
            return super().clean()
        except ValidationError:
            if username:
                limits.login_failed(username, ip)
            raise


class PresenceForm(forms.Form):
    presence = forms.ChoiceField(label=_("Presence"), choices=Presence.choices)
