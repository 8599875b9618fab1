from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.workforce.choices import ImportKind


class WeekForm(forms.Form):
    week_start = forms.DateField(label=_("Week starting (Monday)"))


class WhatIfForm(forms.Form):
    service_level = forms.FloatField(label=_("Service level"), min_value=0.01, max_value=0.99, initial=0.8)
    service_time = forms.FloatField(label=_("Answered within (s)"), min_value=0, max_value=3600, initial=20)
    aht_factor = forms.FloatField(label=_("AHT factor"), min_value=0.2, max_value=5, initial=1.0)
    shrinkage = forms.FloatField(label=_("Shrinkage"), min_value=0, max_value=0.89, initial=0.3)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ImportKind.choices)
    file = forms.FileField(label=_("CSV file"))


class LeaveForm(forms.Form):
    start = forms.DateTimeField(label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    reason = forms.CharField(label=_("Reason"), max_length=200)


class DecideForm(forms.Form):
    approve = forms.BooleanField(required=False)
    note = forms.CharField(required=False, max_length=200)
