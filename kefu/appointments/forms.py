from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.appointments.choices import CallOutcome


def parse_slot(value: str) -> tuple[int, datetime] | None:
    """"<resource id>|<ISO start>" as the slot radio buttons post it."""
    try:
        rid, iso = value.split("|", 1)
        start = datetime.fromisoformat(iso)
    except (ValueError, AttributeError):
        return None
    if start.tzinfo is None:
        return None
    return int(rid), start


class SlotField(forms.CharField):
    default_error_messages = {"invalid": _("Choose a free time.")}

    def clean(self, value: object) -> tuple[int, datetime]:
        text = super().clean(value)
        parsed = parse_slot(text)
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class PickForm(forms.Form):
    """Which service on which day (GET)."""

    service = forms.TypedChoiceField(label=_("Service"), coerce=int)
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, services: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["service"]).choices = [(s.pk, s.name) for s in services]


class PortalBookForm(forms.Form):
    slot = SlotField(label=_("Time"), error_messages={"required": _("Choose a free time.")})
    name = forms.CharField(label=_("Your name"), max_length=50, error_messages={"required": _("Give your name.")})
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, error_messages={"required": _("Give your phone number.")})
    plate = forms.CharField(label=_("Car plate or VIN (optional)"), max_length=32, required=False)


class StaffBookForm(forms.Form):
    slot = SlotField(label=_("Time"), error_messages={"required": _("Choose a free time.")})
    asset = forms.TypedChoiceField(label=_("Asset"), coerce=int, required=False, empty_value=None)
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False)

    def __init__(self, *args: Any, assets: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["asset"]).choices = [("", "—")] + [(a.pk, str(a)) for a in assets]


class MoveForm(forms.Form):
    slot = SlotField(label=_("New time"), error_messages={"required": _("Choose a free time.")})


class CallForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices)


class WalkInForm(forms.Form):
    """A walk-in at the desk: a customer on file (by id) or a name and phone."""

    customer = forms.IntegerField(label=_("Customer ID"), required=False, min_value=1)
    name = forms.CharField(label=_("Name"), max_length=64, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    resource = forms.TypedChoiceField(label=_("Resource"), required=False, coerce=int, empty_value=None)
    service = forms.TypedChoiceField(label=_("Service"), required=False, coerce=int, empty_value=None)
    notes = forms.CharField(label=_("Notes"), max_length=500, required=False)

    def __init__(self, *args: Any, resources: list[Any] = (), services: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["resource"]).choices = [("", "—"), *[(r.pk, r.name) for r in resources]]
        cast(forms.TypedChoiceField, self.fields["service"]).choices = [("", "—"), *[(s.pk, s.name) for s in services]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("customer") and not (data.get("name") or "").strip() and not (data.get("phone") or "").strip():
            raise forms.ValidationError(_("Give the customer's name or phone."))
        return data
