"""HTML input of the SLA pages and the policy admin (shape only; services hold the rules)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.sla.models import SlaPolicy
from kefu.tickets.choices import Channel, Priority, TicketKind, TicketStatus


class DayToggleForm(forms.Form):
    day = forms.DateField(label=_("date"))


class SlaPolicyForm(forms.ModelForm):
    """The admin form of a policy: condition lists are multi-selects of the real choices, not JSON."""

    match_kinds = forms.MultipleChoiceField(
        label=_("ticket kinds"), choices=TicketKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    match_priorities = forms.MultipleChoiceField(
        label=_("priorities"), choices=Priority.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    match_channels = forms.MultipleChoiceField(
        label=_("channels"), choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    pause_statuses = forms.MultipleChoiceField(
        label=_("statuses that pause the clock"),
        choices=[(s.value, s.label) for s in TicketStatus if s.value not in ("resolved", "closed")],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    warn_shares = forms.CharField(
        label=_("warn at (percent of the target)"),
        required=False,
        help_text=_("Whole numbers from 1 to 99 separated by commas, for example 50, 80."),
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "name", "position", "is_active", "is_default", "description", "calendar",
            "match_kinds", "match_priorities", "match_channels", "match_categories", "match_tiers",
            "dispatch_minutes", "first_response_minutes", "next_response_minutes", "resolution_minutes",
            "warn_shares", "pause_statuses",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["warn_shares"] = ", ".join(str(s) for s in self.instance.warn_shares or [])

    def clean_warn_shares(self) -> list[int]:
        raw = self.cleaned_data.get("warn_shares") or ""
        shares: list[int] = []
        for part in raw.replace("，", ",").split(","):
            part = part.strip().rstrip("%")
            if not part:
                continue
            if not part.isdigit() or not 1 <= int(part) <= 99:
                raise forms.ValidationError(_("Use whole numbers from 1 to 99, for example 50, 80."))
            shares.append(int(part))
        return sorted(set(shares))
