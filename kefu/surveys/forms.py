"""HTML input shapes only; the services hold the rules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.surveys.choices import CallbackOutcome, CareKind, Dimension
from kefu.surveys.models import SurveyTemplate
from kefu.surveys.selectors import GROUPS

CSAT_CHOICES = [
    (5, _("Very satisfied")),
    (4, _("Satisfied")),
    (3, _("Neutral")),
    (2, _("Dissatisfied")),
    (1, _("Very dissatisfied")),
]


class AnswerForm(forms.Form):
    """The customer's answer; fields follow the survey's template."""

    def __init__(self, *args: Any, template: SurveyTemplate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        if template.ask_csat:
            self.fields["csat"] = forms.TypedChoiceField(
                label=_("How satisfied are you with our service?"), choices=CSAT_CHOICES, coerce=int,
                widget=forms.RadioSelect, error_messages={"required": _("Please pick a score.")},
            )
        if template.ask_nps:
            self.fields["nps"] = forms.TypedChoiceField(
                label=_("How likely are you to recommend us to a friend? (0–10)"),
                choices=[(i, str(i)) for i in range(11)], coerce=int, widget=forms.RadioSelect,
                required=not template.ask_csat, empty_value=None,
            )
        for name in template.dimensions or ():
            if name in Dimension.values:
                self.fields[f"dim_{name}"] = forms.TypedChoiceField(
                    label=Dimension(name).label, choices=[(i, str(i)) for i in range(1, 6)], coerce=int,
                    widget=forms.RadioSelect, required=False, empty_value=None,
                )
        if template.reasons:
            self.fields["reasons"] = forms.MultipleChoiceField(
                label=_("What could we do better?"), choices=[(r, r) for r in template.reasons],
                widget=forms.CheckboxSelectMultiple, required=False,
            )
        self.fields["comment"] = forms.CharField(
            label=_("Anything else? (optional)"), required=False, max_length=2000,
            widget=forms.Textarea(attrs={"rows": 3}),
        )

    @property
    def dimension_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.fields if n.startswith("dim_")]

    def answer(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "csat": data.get("csat"),
            "nps": data.get("nps"),
            "dimension_scores": {
                n[4:]: v for n, v in data.items() if n.startswith("dim_") and v is not None
            },
            "reasons": data.get("reasons") or [],
            "comment": data.get("comment") or "",
        }


class CallbackResultForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Result"), choices=CallbackOutcome.choices, widget=forms.RadioSelect)
    repaired = forms.TypedChoiceField(
        label=_("Repaired"), choices=[("", "—"), ("yes", _("Repaired")), ("no", _("Not repaired"))],
        required=False, coerce=lambda v: {"yes": True, "no": False}.get(v), empty_value=None,
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.TextInput)


class CareActionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Care action"), choices=CareKind.choices)
    planned_for = forms.DateField(label=_("Planned for"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(label=_("Amount (CNY)"), required=False, min_value=0, max_digits=10, decimal_places=2)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000)


class CaseCloseForm(forms.Form):
    note = forms.CharField(label=_("Closing note"), required=False, max_length=2000)


class MetricsForm(forms.Form):
    group = forms.ChoiceField(
        label=_("Group by"), required=False,
        choices=[
            ("agent", _("Agent")), ("team", _("Team")), ("category", _("Category")),
            ("month", _("Month")), ("week", _("Week")), ("day", _("Day")),
        ],
    )
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def values(self) -> tuple[str, date, date]:
        """Group and local [start, end] days; bad input falls back to the last 30 days by agent."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        today = timezone.localdate()
        group = data.get("group") or "agent"
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=29)
        if group not in GROUPS:
            group = "agent"
        if start > end:
            start, end = end, start
        return group, start, end
