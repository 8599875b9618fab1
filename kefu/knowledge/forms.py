from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team
from kefu.knowledge.choices import DocKind
from kefu.knowledge.search import SearchFilter
from kefu.tickets.models import Category


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body_md = forms.CharField(label=_("Body (Markdown)"), widget=forms.Textarea(attrs={"rows": 16}), required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.filter(is_active=True), required=False)
    is_public = forms.BooleanField(label=_("Public (help center)"), required=False)
    review_by = forms.DateField(label=_("Review by"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Change note"), max_length=200, required=False)


class ReplyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("Variables: {客户姓名} {工单号} {处理人} {工单标题} {今天}"))
    scenario = forms.CharField(label=_("Scenario"), max_length=64, required=False)
    shortcut = forms.CharField(label=_("Shortcut"), max_length=32, required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.filter(is_active=True), required=False)
    team = forms.ModelChoiceField(label=_("Team (empty: everyone)"), queryset=Team.objects.all(), required=False)


class CaseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    situation = forms.CharField(label=_("Situation"), widget=forms.Textarea(attrs={"rows": 4}))
    policy = forms.CharField(label=_("Policy applied"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 4}))
    lessons = forms.CharField(label=_("Lessons"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    tags = forms.CharField(label=_("Tags"), max_length=200, required=False)


def _local_midnight(day: date) -> datetime:
    """The start of `day` in the business time zone (Asia/Shanghai), as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


class SearchFilterForm(forms.Form):
    """The knowledge page's search box and filters: kinds, category, team, updated between two days
    (both included, in the business time zone)."""

    q = forms.CharField(required=False, max_length=200)
    kind = forms.MultipleChoiceField(choices=DocKind.choices, required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True).order_by("path"), required=False,
        empty_label=_("All categories"),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.filter(is_active=True).order_by("id"), required=False,
        empty_label=_("All teams"),
    )
    updated_from = forms.DateField(label=_("Updated from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    updated_to = forms.DateField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("updated_from"), data.get("updated_to")
        if isinstance(start, date) and isinstance(end, date) and start > end:
            self.add_error("updated_to", _("The end date is before the start date."))
        return data

    def search_filter(self) -> SearchFilter:
        """The filter for kefu.knowledge.search.search (call after is_valid(); invalid fields are
        left out, so a bad date narrows nothing rather than failing the search)."""
        data = getattr(self, "cleaned_data", {})
        kinds = tuple(data.get("kind") or ()) or SearchFilter().kinds
        start, end = data.get("updated_from"), data.get("updated_to")
        return SearchFilter(
            kinds=kinds,
            category_id=data["category"].pk if data.get("category") else None,
            team_id=data["team"].pk if data.get("team") else None,
            updated_from=_local_midnight(start) if start else None,
            updated_to=_local_midnight(end + timedelta(days=1)) if end else None,
        )
