from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.choices import AssignmentMode
from kefu.accounts.models import Team
from kefu.tickets.choices import Channel, Priority, TicketKind


class PreviewForm(forms.Form):
    """The "test this rule" box: paste a ticket text, see where it would go and why."""

    text = forms.CharField(label=_("Ticket text"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    kind = forms.ChoiceField(label=_("Kind"), choices=TicketKind.choices, initial=TicketKind.INQUIRY)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    vip = forms.BooleanField(label=_("VIP customer"), required=False)


class TeamModeForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.filter(is_active=True), widget=forms.HiddenInput)
    mode = forms.ChoiceField(label=_("Assignment mode"), choices=AssignmentMode.choices)


class SuggestionForm(forms.Form):
    action = forms.ChoiceField(choices=[("accept", "accept"), ("dismiss", "dismiss")])
