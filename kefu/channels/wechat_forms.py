"""HTML input of the WeChat account page: shape only; wechat_services.account_save checks the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team


def _secret(label: Any, help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, max_length=200, help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )


class WechatAccountForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    team = forms.ModelChoiceField(label=_("Team for new tickets"), queryset=Team.objects.none(), required=False)
    platform = forms.ChoiceField(
        label=_("Platform"), choices=[("oa", _("WeChat Official Account")), ("wecom", _("WeCom customer service"))]
    )
    app_id = forms.CharField(label=_("AppID / corp ID"), max_length=64)
    open_kfid = forms.CharField(label=_("Customer service account ID (open_kfid)"), max_length=64, required=False)
    app_secret = _secret(_("AppSecret"), _("Leave empty to keep the stored value. It is never shown again."))
    token = _secret(_("Callback Token"), _("Leave empty to keep the stored value. It is never shown again."))
    aes_key = _secret(_("EncodingAESKey"), _("43 characters; needed for safe mode and for WeCom."))
    api_base = forms.CharField(label=_("API address"), max_length=200, required=False,
                               help_text=_("Empty: Tencent's servers. Set only for a proxy or a test server."))
    thread_window_hours = forms.IntegerField(label=_("Threading window (hours)"), min_value=0, max_value=24 * 90, initial=72)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]
