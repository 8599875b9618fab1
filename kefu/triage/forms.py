from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.triage.choices import Field, Mode


class SuggestionForm(forms.Form):
    action = forms.ChoiceField(choices=[("accept", "accept"), ("dismiss", "dismiss")])


class PolicyForm(forms.Form):
    field = forms.ChoiceField(label=_("Field"), choices=Field.choices, widget=forms.HiddenInput)
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices)
    threshold = forms.FloatField(
        label=_("Threshold"), min_value=0.5, max_value=1.0,
        error_messages={"min_value": _("Between 0.5 and 1."), "max_value": _("Between 0.5 and 1."),
                        "invalid": _("Enter a number such as 0.9.")},
    )


class TryForm(forms.Form):
    text = forms.CharField(label=_("Ticket text"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
