from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import User
from kefu.operations.choices import CostKind, DeviceKind
from kefu.operations.models import MONEY_DIGITS, MONEY_PLACES
from kefu.operations.services import ActionInput
from kefu.tickets.choices import Priority

LEVEL_CHOICES = [(1, _("Level 1")), (2, _("Level 2")), (3, _("Level 3"))]


class ActivateForm(forms.Form):
    level = forms.TypedChoiceField(label=_("Response level"), choices=LEVEL_CHOICES, coerce=int)
    title = forms.CharField(label=_("What happened"), max_length=200, required=False)
    is_drill = forms.BooleanField(label=_("Drill (no customer is touched)"), required=False)


class LevelForm(forms.Form):
    level = forms.TypedChoiceField(label=_("Response level"), choices=LEVEL_CHOICES, coerce=int)


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Message"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    key_points = forms.CharField(label=_("Key points"), widget=forms.Textarea(attrs={"rows": 3}))
    causes = forms.CharField(label=_("Causes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    actions = forms.CharField(
        label=_("Improvement actions"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: action | owner's username | due date (YYYY-MM-DD)"),
    )  # fmt: skip

    def clean_actions(self) -> list[ActionInput]:
        out: list[ActionInput] = []
        lines = [line.strip() for line in (self.cleaned_data.get("actions") or "").splitlines() if line.strip()]
        users: dict[str, Any] = {}
        if lines:
            names = [p.split("|")[1].strip() for p in lines if p.count("|") == 2]
            users = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
        for n, line in enumerate(lines, 1):
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3 or not parts[0]:
                raise forms.ValidationError(_("Line %(n)s: write action | username | YYYY-MM-DD.") % {"n": n})
            user = users.get(parts[1])
            if user is None:
                raise forms.ValidationError(_("Line %(n)s: no active user %(u)s.") % {"n": n, "u": parts[1]})
            try:
                due = date.fromisoformat(parts[2])
            except ValueError as exc:
                raise forms.ValidationError(_("Line %(n)s: the due date is not a date.") % {"n": n}) from exc
            out.append(ActionInput(text=parts[0], owner_id=user.pk, due_on=due))
        return out


class RequisitionForm(forms.Form):
    store = forms.TypedChoiceField(label=_("Store"), coerce=int)
    material = forms.TypedChoiceField(label=_("Material"), coerce=int)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100000)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, stores: list[Any], materials: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast_store = self.fields["store"]
        cast_material = self.fields["material"]
        assert isinstance(cast_store, forms.ChoiceField) and isinstance(cast_material, forms.ChoiceField)
        cast_store.choices = [(s.pk, s.name) for s in stores]
        cast_material.choices = [(m.pk, f"{m.name}（{m.unit}）") for m in materials]


class DeviceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=DeviceKind.choices)
    asset_no = forms.CharField(label=_("Asset number"), max_length=32)
    location = forms.CharField(label=_("Location"), max_length=100, required=False)
    in_service_since = forms.DateField(label=_("In service since"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class FaultForm(forms.Form):
    description = forms.CharField(label=_("What is wrong"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)


class MaintenancePlanForm(forms.Form):
    task = forms.CharField(label=_("Maintenance"), max_length=200)
    interval_days = forms.IntegerField(label=_("Every (days)"), min_value=1, max_value=3650)
    first_due_on = forms.DateField(label=_("First due"), widget=forms.DateInput(attrs={"type": "date"}))


class TargetForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DeviceKind.choices)
    target = forms.DecimalField(label=_("Target (%)"), min_value=Decimal("0.01"), max_value=Decimal(100), decimal_places=2)


class RoutingForm(forms.Form):
    category = forms.TypedChoiceField(label=_("Ticket category"), coerce=int, required=False, empty_value=None)
    team = forms.TypedChoiceField(label=_("IT team"), coerce=int)

    def __init__(self, *args: Any, categories: list[Any], teams: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category, team = self.fields["category"], self.fields["team"]
        assert isinstance(category, forms.ChoiceField) and isinstance(team, forms.ChoiceField)
        category.choices = [("", "—")] + [(c.pk, c.name) for c in categories]
        team.choices = [(t.pk, t.name) for t in teams]




class BudgetLineForm(forms.Form):
    cost_kind = forms.ChoiceField(label=_("Cost kind"), choices=CostKind.choices)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    plan = forms.DecimalField(label=_("Plan (yuan)"), min_value=Decimal(0), max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)


class BudgetEntryForm(forms.Form):
    line = forms.TypedChoiceField(label=_("Budget line"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("commitment", _("Commitment")), ("actual", _("Actual"))])
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=Decimal("0.01"), max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    note = forms.CharField(label=_("For"), max_length=200)

    def __init__(self, *args: Any, lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["line"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(ln.pk, str(ln)) for ln in lines]


class ReallocationForm(forms.Form):
    from_line = forms.TypedChoiceField(label=_("From"), coerce=int)
    to_line = forms.TypedChoiceField(label=_("To"), coerce=int)
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=Decimal("0.01"), max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args: Any, lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("from_line", "to_line"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(ln.pk, str(ln)) for ln in lines]
