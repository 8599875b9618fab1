"""HTML input of the phone and SMS account pages: shape only; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team

_SECRET: Any = {"widget": forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}), "required": False}


class _TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    team = forms.ModelChoiceField(label=_("Team for new tickets"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]


class CtiAccountForm(_TeamForm):
    vendor = forms.CharField(label=_("CTI vendor"), max_length=64, required=False)
    hotline = forms.CharField(label=_("Hotline number"), max_length=32, required=False)
    callback_hours = forms.IntegerField(label=_("Missed call: call back within (business hours)"), min_value=1, max_value=72, initial=2)
    secret = forms.CharField(
        label=_("Signing secret"), max_length=200, min_length=16,
        help_text=_("The CTI signs every event with it. Leave empty to keep the stored one. It is never shown again."), **_SECRET,
    )


class SmsAccountForm(_TeamForm):
    endpoint = forms.URLField(label=_("Gateway address"), required=False, help_text=_("Empty: Aliyun's https://dysmsapi.aliyuncs.com/"))
    access_key_id = forms.CharField(label=_("AccessKey ID"), max_length=64)
    access_key_secret = forms.CharField(label=_("AccessKey secret"), max_length=200, help_text=_("Leave empty to keep the stored one."), **_SECRET)
    webhook_secret = forms.CharField(label=_("Webhook signing secret"), max_length=200, help_text=_("Signs receipts and inbound SMS. Leave empty to keep the stored one."), **_SECRET)
    sign_name = forms.CharField(label=_("Signature name (签名)"), max_length=64)
    template_reply = forms.CharField(label=_("Template for ticket replies"), max_length=64, help_text=_("An approved template with one ${content} variable."))
    template_survey = forms.CharField(label=_("Template for survey links"), max_length=64, required=False)
    template_callback = forms.CharField(label=_("Template for callback notices"), max_length=64, required=False)
    template_code = forms.CharField(label=_("Template for verification codes"), max_length=64, required=False)
    thread_window_hours = forms.IntegerField(label=_("Threading window (hours)"), min_value=0, max_value=24 * 90, initial=72)

    CONFIG_FIELDS = ("endpoint", "access_key_id", "sign_name", "template_reply", "template_survey", "template_callback", "template_code")

    def config(self) -> dict[str, Any]:
        return {k: self.cleaned_data.get(k) or "" for k in self.CONFIG_FIELDS}
