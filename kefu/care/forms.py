"""HTML input only; the services check the rules."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.care.choices import CareChannel, EarnKind, Occasion
from kefu.care.models import Reward


def new_key() -> str:
    return uuid.uuid4().hex


class EarnForm(forms.Form):
    kind = forms.ChoiceField(label=_("Earned"), choices=[(EarnKind.VISIT, EarnKind.VISIT.label), (EarnKind.AMOUNT, EarnKind.AMOUNT.label)])
    amount = forms.DecimalField(label=_("Amount (yuan)"), required=False, min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80, initial=new_key)


class SpendForm(forms.Form):
    reward = forms.TypedChoiceField(label=_("Reward"), coerce=int)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80, initial=new_key)

    def __init__(self, *args: object, rewards: list[Reward], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["reward"].choices = [(r.pk, f"{r.name} · {r.cost}") for r in rewards]  # type: ignore[attr-defined]


class PrefsForm(forms.Form):
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    care_opt_out = forms.BooleanField(label=_("No care messages"), required=False)


class RuleForm(forms.Form):
    kind = forms.ChoiceField(label=_("Earned"), choices=EarnKind.choices)
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=100000)
    per_amount = forms.DecimalField(label=_("Per amount (yuan)"), required=False, min_value=Decimal("0.01"), max_digits=10, decimal_places=2)
    valid_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=3650, initial=365)


class RewardForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    cost = forms.IntegerField(label=_("Points"), min_value=1, max_value=10_000_000)
    stock = forms.IntegerField(label=_("In stock"), required=False, min_value=0)


class TemplateForm(forms.Form):
    occasion = forms.ChoiceField(label=_("Occasion"), choices=Occasion.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=CareChannel.choices)
    subject = forms.CharField(label=_("Subject"), max_length=100)
    body = forms.CharField(label=_("Text"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class HolidayForm(forms.Form):
    occasion = forms.ChoiceField(label=_("Holiday"), choices=[c for c in Occasion.choices if c[0] != Occasion.BIRTHDAY])
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
