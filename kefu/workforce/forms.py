from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Skill, Team
from kefu.sla.models import BusinessCalendar
from kefu.tickets.choices import Channel
from kefu.workforce.choices import ForecastMethod, ImportKind, StaffingModel
from kefu.workforce.models import Queue


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


# Fractions the queue stores as 0..1 and people type as percentages.
PERCENT_FIELDS = ("service_level", "abandonment", "occupancy", "shrinkage")
INTERVALS = [(15, _("15 minutes")), (30, _("30 minutes")), (60, _("60 minutes"))]


def _pct(label: Any, *, required: bool = True, max_value: float = 100) -> forms.FloatField:
    return forms.FloatField(label=label, required=required, min_value=0, max_value=max_value)


class QueueSettingsForm(forms.Form):
    """A queue's goals, costs, history and work rules. Shape only: the service (queue_create/queue_update)
    checks the rules (Erlang A needs patience, shift and break fit, ...) and its errors land on these fields,
    which carry the model's names."""

    name = forms.CharField(label=_("Name"), max_length=64)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All teams")
    )
    skill = forms.ModelChoiceField(
        label=_("Required skill"), queryset=Skill.objects.none(), required=False, empty_label=_("None")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)
    staffing_model = forms.ChoiceField(label=_("Staffing model"), choices=StaffingModel.choices)
    service_level = _pct(_("Service level goal (%)"))
    service_time = forms.FloatField(label=_("Answered within (seconds)"), min_value=0, max_value=3600)
    asa = forms.FloatField(
        label=_("Max. average speed of answer (seconds)"), required=False, min_value=1, max_value=3600
    )
    abandonment = _pct(_("Max. abandonment (%)"), required=False)
    occupancy = _pct(_("Max. occupancy (%)"), required=False)
    patience = forms.FloatField(
        label=_("Mean patience (seconds, Erlang A)"), required=False, min_value=1, max_value=86400
    )
    interval_minutes = forms.TypedChoiceField(label=_("Interval length"), choices=INTERVALS, coerce=int)
    default_aht = forms.FloatField(label=_("Default handling time (seconds)"), min_value=1, max_value=86400)
    shrinkage = _pct(_("Shrinkage (%)"), max_value=99)
    hourly_cost = forms.DecimalField(
        label=_("Cost per paid hour (yuan)"), min_value=0, max_digits=8, decimal_places=2
    )
    forecast_method = forms.ChoiceField(label=_("Forecast method"), choices=ForecastMethod.choices)
    calendar = forms.ModelChoiceField(
        label=_("Business calendar"),
        queryset=BusinessCalendar.objects.none(),
        required=False,
        empty_label=_("Chinese public holidays"),
    )
    promotion_days = forms.CharField(
        label=_("Promotion days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Dates as YYYY-MM-DD, separated by commas or new lines."),
    )
    count_tickets = forms.BooleanField(label=_("Count the system's tickets as history"), required=False)
    channels = forms.MultipleChoiceField(
        label=_("Ticket channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every channel."),
    )
    shift_hours = forms.FloatField(label=_("Shift length incl. break (hours)"), min_value=0.5, max_value=24)
    shift_earliest_start = forms.TimeField(
        label=_("Earliest shift start"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    shift_latest_start = forms.TimeField(
        label=_("Latest shift start"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    break_minutes = forms.IntegerField(label=_("Unpaid break (minutes)"), min_value=0, max_value=240)
    break_after_hours = forms.FloatField(label=_("Break starts after (hours)"), min_value=0, max_value=24)
    break_before_hours = forms.FloatField(label=_("Break ends before (hours)"), min_value=0, max_value=24)
    days_off = forms.IntegerField(label=_("Days off per week"), min_value=0, max_value=6)
    consecutive_days_off = forms.BooleanField(label=_("Days off consecutive"), required=False)
    max_consecutive_days = forms.IntegerField(
        label=_("Max. consecutive working days"), min_value=1, max_value=7
    )
    min_weekly_hours = forms.FloatField(label=_("Min. weekly hours"), min_value=0, max_value=168)
    max_weekly_hours = forms.FloatField(label=_("Max. weekly hours"), min_value=0, max_value=168)

    GROUPS = [
        (_("Queue"), ["name", "team", "skill", "is_active"]),
        (_("Service goals"), ["staffing_model", "service_level", "service_time", "asa", "abandonment", "occupancy", "patience"]),
        (_("Planning"), ["interval_minutes", "default_aht", "shrinkage", "hourly_cost", "forecast_method", "calendar", "promotion_days"]),
        (_("Contact history"), ["count_tickets", "channels"]),
        (_("Shifts and work rules"), ["shift_hours", "shift_earliest_start", "shift_latest_start", "break_minutes", "break_after_hours",
                                      "break_before_hours", "days_off", "consecutive_days_off", "max_consecutive_days",
                                      "min_weekly_hours", "max_weekly_hours"]),
    ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Querysets here, not at import: no database access while modules load.
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["skill"].queryset = Skill.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["calendar"].queryset = BusinessCalendar.objects.order_by("-is_default", "name")  # type: ignore[attr-defined]

    @classmethod
    def initial_from(cls, queue: Queue) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(queue, name)
            for name in cls.base_fields
            if name not in ("team", "skill", "calendar")
        }
        initial.update(team=queue.team_id, skill=queue.skill_id, calendar=queue.calendar_id)
        for name in PERCENT_FIELDS:
            if initial[name] is not None:
                initial[name] = round(initial[name] * 100, 4)
        initial["promotion_days"] = ", ".join(str(d) for d in queue.promotion_days)
        # 80, not 80.0: whole numbers are shown as such.
        return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in initial.items()}

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """A new queue's form starts from the model's defaults."""
        return cls.initial_from(Queue())

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]

    def clean_promotion_days(self) -> list[str]:
        days = []
        for part in self.cleaned_data["promotion_days"].replace("，", ",").replace("\n", ",").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                days.append(date.fromisoformat(part).isoformat())
            except ValueError:
                raise forms.ValidationError(
                    _("%(day)s is not a date (YYYY-MM-DD).") % {"day": part}
                ) from None
        return sorted(set(days))

    def queue_fields(self) -> dict[str, Any]:
        """The cleaned input in the service's units (fractions, not percentages)."""
        data = dict(self.cleaned_data)
        for name in PERCENT_FIELDS:
            if data.get(name) is not None:
                data[name] = data[name] / 100
        return data
