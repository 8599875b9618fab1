from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Team
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
