"""HTML input of the SLA pages and the policy admin (shape only; services hold the rules)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.sla.models import WEEKDAYS, SlaPolicy
from kefu.tickets.choices import Channel, Priority, TicketKind, TicketStatus


class DayToggleForm(forms.Form):
    day = forms.DateField(label=_("date"))


_PERIOD = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*[-–—~～至到]\s*(\d{1,2})[:：](\d{2})\s*$")


# Periods are separated by commas (either width), semicolons, 、 or spaces between two periods.
_SEPARATOR = re.compile(r"(?<=\d)\s*[,，;；、]\s*|(?<=\d)\s+(?=\d)")


def _clock_time(hour: str, minute: str) -> time:
    h, m = int(hour), int(minute)
    if h == 24 and m == 0:
        return time(0)  # 24:00: midnight at the end of the day
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError
    return time(h, m)


class WorkingHoursForm(forms.Form):
    """One text box per weekday: "09:00-12:00, 13:30-18:00"; empty = closed. Shape only: order and
    overlaps are the service's rules (calendar_periods_set)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for weekday, label in WEEKDAYS:
            self.fields[f"weekday_{weekday}"] = forms.CharField(
                label=label, required=False, max_length=200,
                widget=forms.TextInput(attrs={"placeholder": "09:00-12:00, 13:30-18:00"}),
            )

    @staticmethod
    def initial_from(periods: Iterable[tuple[int, time, time]]) -> dict[str, str]:
        out: dict[str, list[str]] = {}
        for weekday, start, end in periods:
            until = "24:00" if end == time(0) else f"{end:%H:%M}"
            out.setdefault(f"weekday_{weekday}", []).append(f"{start:%H:%M}-{until}")
        return {name: ", ".join(parts) for name, parts in out.items()}

    def periods(self) -> list[tuple[int, time, time]]:
        out = []
        for weekday, _label in WEEKDAYS:
            out += [(weekday, start, end) for start, end in self.cleaned_data[f"weekday_{weekday}"]]
        return out

    @staticmethod
    def _period(part: str) -> tuple[time, time]:
        match = _PERIOD.match(part)
        try:
            if match is None:
                raise ValueError
            return _clock_time(*match.group(1, 2)), _clock_time(*match.group(3, 4))
        except ValueError:
            raise ValueError(part.strip()) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for weekday, _label in WEEKDAYS:
            name = f"weekday_{weekday}"
            raw = cleaned.get(name)
            if not isinstance(raw, str):
                continue
            try:
                cleaned[name] = [self._period(part) for part in _SEPARATOR.split(raw.strip()) if part.strip()]
            except ValueError as exc:
                self.add_error(
                    name,
                    _("“%(part)s” is not a period: write it like 09:00-12:00, several separated by commas.")
                    % {"part": str(exc)},
                )
        return cleaned


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
