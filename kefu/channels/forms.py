"""HTML input of the channel pages: shape only; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team

SECURITY = [("ssl", _("SSL/TLS")), ("starttls", "STARTTLS"), ("none", _("None (local only)"))]


class MailboxForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    team = forms.ModelChoiceField(label=_("Team for new tickets"), queryset=Team.objects.none(), required=False)
    source = forms.ChoiceField(label=_("Fetch from"), choices=[("imap", "IMAP"), ("maildir", _("Local maildir"))])
    imap_host = forms.CharField(label=_("IMAP server"), max_length=200, required=False)
    imap_port = forms.IntegerField(label=_("IMAP port"), min_value=1, max_value=65535, required=False)
    imap_security = forms.ChoiceField(label=_("IMAP security"), choices=SECURITY, initial="ssl")
    username = forms.CharField(label=_("User name"), max_length=200, required=False)
    password = forms.CharField(
        label=_("Password"), required=False, max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored password. It is never shown again."),
    )
    folder = forms.CharField(label=_("Folder"), max_length=200, required=False, initial="INBOX")
    maildir_path = forms.CharField(label=_("Maildir path"), max_length=500, required=False)
    smtp_host = forms.CharField(label=_("SMTP server"), max_length=200, required=False)
    smtp_port = forms.IntegerField(label=_("SMTP port"), min_value=1, max_value=65535, required=False)
    smtp_security = forms.ChoiceField(label=_("SMTP security"), choices=SECURITY, initial="starttls")
    smtp_username = forms.CharField(label=_("SMTP user name (if different)"), max_length=200, required=False)
    from_address = forms.EmailField(label=_("Send replies from"))
    from_name = forms.CharField(label=_("Sender name"), max_length=100, required=False)
    thread_window_hours = forms.IntegerField(label=_("Threading window (hours)"), min_value=0, max_value=24 * 90, initial=72)
    rate_limit_per_hour = forms.IntegerField(label=_("Messages per sender per hour"), min_value=1, max_value=10000, initial=20)
    poll_seconds = forms.IntegerField(label=_("Fetch every (seconds)"), min_value=10, max_value=86400, initial=60)

    CONFIG_FIELDS = (
        "source", "imap_host", "imap_port", "imap_security", "username", "folder", "maildir_path",
        "smtp_host", "smtp_port", "smtp_security", "smtp_username", "from_address", "from_name",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]

    def config(self) -> dict[str, Any]:
        return {k: self.cleaned_data.get(k) for k in self.CONFIG_FIELDS}
