"""HTML input checks only (shape); the rules live in the services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.points.choices import ItemKind


class RedeemForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": _("Choose an item.")})
    leave_start = forms.DateTimeField(
        label=_("Time off from"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], error_messages={"invalid": _("Give a date and time.")},
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class AwardForm(forms.Form):
    agent = forms.TypedChoiceField(label=_("Agent"), coerce=int, error_messages={"required": _("Choose an agent.")})
    points = forms.IntegerField(
        label=_("Points"), min_value=1, max_value=1000,
        error_messages={"required": _("Give the points."), "min_value": _("At least 1 point."), "max_value": _("At most 1000 points.")},
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, error_messages={"required": _("Give a reason.")})
    ticket = forms.CharField(label=_("Ticket number (optional)"), max_length=32, required=False)

    def __init__(self, *args: Any, agents: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["agent"]).choices = [(a.pk, a.name) for a in agents]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, error_messages={"required": _("Give a reason.")})


class SuggestionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=100, error_messages={"required": _("Give the suggestion a title.")})
    body = forms.CharField(
        label=_("What should change, and why"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Describe the suggestion.")},
    )


class ItemForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64, error_messages={"required": _("Name the item.")})
    kind = forms.ChoiceField(label=_("Kind"), choices=ItemKind.choices)
    cost = forms.IntegerField(label=_("Cost (points)"), min_value=1, max_value=100000, error_messages={"required": _("Give the cost.")})
    leave_hours = forms.IntegerField(label=_("Time off (hours)"), min_value=1, max_value=120, required=False)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("On offer"), required=False, initial=True)


class SettingsForm(forms.Form):
    latent_need_points = forms.IntegerField(label=_("Latent need uncovered"), min_value=0, max_value=1000)
    praise_points = forms.IntegerField(label=_("Written praise"), min_value=0, max_value=1000)
    suggestion_points = forms.IntegerField(label=_("Adopted suggestion"), min_value=0, max_value=1000)
    approval_threshold = forms.IntegerField(label=_("Hand awards above this need approval"), min_value=0, max_value=1000)
    latent_need_tag = forms.CharField(label=_("Ticket tag for a latent need"), max_length=32)
    praise_tag = forms.CharField(label=_("Ticket tag for praise"), max_length=32)
    star_weight_points = forms.IntegerField(label=_("Service star weight: points"), min_value=0, max_value=1000)
    star_weight_csat = forms.IntegerField(label=_("Service star weight: CSAT"), min_value=0, max_value=1000)
    star_weight_qa = forms.IntegerField(label=_("Service star weight: QA pass rate"), min_value=0, max_value=1000)


class AnnounceForm(forms.Form):
    agent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    citation = forms.CharField(label=_("Citation"), max_length=300, required=False)
