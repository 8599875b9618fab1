"""HTML input validation for the staff ticket pages. Shape only: business rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from kefu.accounts.choices import Role
from kefu.accounts.models import Team, User
from kefu.tickets.choices import Channel, LinkKind, MessageKind, Priority, TicketKind, TicketStatus
from kefu.tickets.models import Category
from kefu.tickets.services import Upload
from kefu.tickets.workflow import allowed_targets

# --- queue filters ---------------------------------------------------------------------------------

SCOPES = ("mine", "team", "owned_elsewhere", "unassigned", "all")
SORT_CHOICES = [
    ("-updated_at", _("Recently updated")),
    ("updated_at", _("Least recently updated")),
    ("-created_at", _("Newest")),
    ("created_at", _("Oldest")),
]
# "" shows open tickets, the queue's normal view; "any" lifts the status filter.
STATUS_FILTER_CHOICES = [("", _("Open")), ("any", _("Any status")), *TicketStatus.choices]


def _blank(label: Any, choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class QueueFilterForm(forms.Form):
    scope = forms.ChoiceField(choices=[(s, s) for s in SCOPES], required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_FILTER_CHOICES, required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=_blank(_("Any priority"), Priority.choices), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=_blank(_("Any kind"), TicketKind.choices), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=_blank(_("Any channel"), Channel.choices), required=False)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("Any team")
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, empty_label=_("Anyone")
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sort = forms.ChoiceField(label=_("Sort"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field: Any = self.fields["team"]
        team_field.queryset = Team.objects.filter(is_active=True).order_by("id")
        assignee_field: Any = self.fields["assignee"]
        assignee_field.queryset = User.objects.filter(is_active=True).exclude(role=Role.QA).order_by("team_id", "id")
        self.fields["q"].widget.attrs["placeholder"] = _("Words, number or phone")


# --- the ticket page -------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the Django docs' recipe); each is size-checked before it is read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        files = [single(d, initial) for d in data] if isinstance(data, list | tuple) else [single(data, initial)]
        files = [f for f in files if f]
        limit = settings.KEFU_UPLOAD_MAX_BYTES
        for f in files:
            if f.size and f.size > limit:
                raise forms.ValidationError(
                    _("%(name)s is larger than %(mb)s MB.") % {"name": f.name, "mb": limit // (1024 * 1024)}
                )
        return files


def uploads_from(files: list[UploadedFile]) -> list[Upload]:
    return [Upload(name=f.name or "file", content=f.read()) for f in files]


class ReplyForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=MessageKind.choices, initial=MessageKind.REPLY, widget=forms.RadioSelect)
    # id "reply-insert": the canned-reply picker (knowledge) swaps in the filled text here.
    body = forms.CharField(
        label=_("Message"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4, "id": "reply-insert"})
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    status = forms.ChoiceField(label=_("and set status"), required=False)

    def __init__(self, *args: Any, current_status: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["status"]
        field.choices = _blank(_("(keep status)"), [(s, TicketStatus(s).label) for s in allowed_targets(current_status)])


class AssignForm(forms.Form):
    """`assignee` empty = return to the team queue. Agents only see themselves in the list."""

    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, empty_label=_("(team queue)")
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["assignee"]
        field.queryset = candidates
        field.label_from_instance = lambda u: u.name


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)

    def __init__(self, *args: Any, current_status: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["status"]
        field.choices = [(s, TicketStatus(s).label) for s in allowed_targets(current_status)]


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class TransferForm(forms.Form):
    to_team = forms.ModelChoiceField(label=_("To team"), queryset=Team.objects.none(), empty_label=None)
    to_user = forms.ModelChoiceField(
        label=_("To person (optional)"), queryset=User.objects.none(), required=False, empty_label=_("(team queue)")
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field: Any = self.fields["to_team"]
        team_field.queryset = Team.objects.filter(is_active=True).order_by("id")
        user_field: Any = self.fields["to_user"]
        user_field.queryset = (
            User.objects.filter(is_active=True, team__isnull=False, role__in=[Role.AGENT, Role.TEAM_LEAD])
            .select_related("team")
            .order_by("team_id", "id")
        )
        user_field.label_from_instance = lambda u: f"{u.team.name} · {u.name}"

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why the ticket is transferred."))
        return reason


class TagsForm(forms.Form):
    tags = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=_("Separate tags with commas or spaces.")
    )

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data["tags"].replace("，", ",").replace(",", " ")
        tags = [t.strip() for t in raw.split() if t.strip()]
        if any(len(t) > 32 for t in tags):
            raise forms.ValidationError(_("A tag has at most 32 characters."))
        return list(dict.fromkeys(tags))


class LinkForm(forms.Form):
    other_number = forms.CharField(label=_("Other ticket number"), max_length=20)
    kind = forms.ChoiceField(label=_("Link type"), choices=LinkKind.choices, initial=LinkKind.RELATED)

    def clean_other_number(self) -> str:
        return self.cleaned_data["other_number"].strip().upper()


class MergeForm(forms.Form):
    target_number = forms.CharField(
        label=_("Merge into ticket number"), max_length=20, help_text=_("This ticket closes and points at the other one.")
    )

    def clean_target_number(self) -> str:
        return self.cleaned_data["target_number"].strip().upper()


# --- quick intake ----------------------------------------------------------------------------------


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return "\u3000" * obj.depth + obj.name


class IntakeForm(forms.Form):
    """Log a phone contact as a ticket: phone first, then what the customer wants."""

    ASSIGN_ME = "me"
    ASSIGN_TEAM = "team"

    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    phone = forms.CharField(label=_("Customer phone"), max_length=32, required=False)
    customer_name = forms.CharField(label=_("Customer name (new customer)"), max_length=100, required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    kind = forms.ChoiceField(label=_("Kind"), choices=TicketKind.choices, initial=TicketKind.INQUIRY)
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False, empty_label=_("(none)"))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    assign = forms.ChoiceField(
        label=_("Handle"),
        choices=[(ASSIGN_ME, _("Assign to me")), (ASSIGN_TEAM, _("Leave in the team queue"))],
        initial=ASSIGN_ME,
        widget=forms.RadioSelect,
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cat: Any = self.fields["category"]
        cat.queryset = Category.objects.filter(is_active=True).order_by("path", "sort_order")
        self.fields["phone"].widget.attrs.update({"autofocus": True, "inputmode": "tel", "autocomplete": "off"})
        self.fields["title"].widget.attrs["placeholder"] = _("What does the customer want, in a few words")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("attachments") and not (data.get("phone") or data.get("customer_id")):
            self.add_error("attachments", _("Attachments are archived on the customer: give their phone number."))
        return data
