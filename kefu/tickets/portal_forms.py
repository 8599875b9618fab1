"""Customer portal forms: shape checks only (lengths, required fields, upload size and type).

Business rules (reopen window, merged tickets) stay in the services; their DomainErrors are shown
on these forms by the views.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import DomainError
from kefu.customers.services import normalize_phone
from kefu.customers.uploads import ALLOWED, check_upload
from kefu.tickets.choices import TicketKind
from kefu.tickets.services import Upload

TITLE_MAX = 200
TEXT_MAX = 10_000
ACCEPT = ",".join(sorted(ALLOWED))


class SizeLimitUploadHandler(FileUploadHandler):
    """Drops an uploaded file as soon as it passes KEFU_UPLOAD_MAX_BYTES, so an absurd file is never
    spooled to disk, while the form's other fields are still parsed (SkipFile, not StopUpload) and
    nothing the customer typed is lost. Install it before request.POST/FILES are first read."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = settings.KEFU_UPLOAD_MAX_BYTES

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            if self.request is not None:
                too_large: set[str] = getattr(self.request, "kefu_too_large_uploads", set())
                too_large.add(self.field_name)
                self.request.kefu_too_large_uploads = too_large  # type: ignore[attr-defined]
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def install_upload_limit(request: HttpRequest) -> None:
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request))


def _too_large_message() -> str:
    return _("The file is larger than %(mb)s MB. Please choose a smaller file.") % {
        "mb": settings.KEFU_UPLOAD_MAX_BYTES // (1024 * 1024)
    }


class AttachmentMixin(forms.Form):
    """An optional attachment, checked with the same rules the services apply. A browser cannot
    refill a file input, so the error asks the customer to choose the file again."""

    attachment = forms.FileField(
        label=gettext_lazy("Attachment (optional)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(
        self, *args: Any, too_large: set[str] | None = None, allow_attachment: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.too_large = too_large or set()
        if not allow_attachment:
            # Attachments are archived on the customer; a ticket without one cannot take them.
            del self.fields["attachment"]
            return
        self.fields["attachment"].help_text = _("A photo, PDF or document, up to %(mb)s MB.") % {
            "mb": settings.KEFU_UPLOAD_MAX_BYTES // (1024 * 1024)
        }

    def clean_attachment(self) -> Upload | None:
        if "attachment" in self.too_large:
            raise forms.ValidationError(_too_large_message(), code="too_large")
        f: UploadedFile | None = self.cleaned_data.get("attachment")
        if not f:
            return None
        if f.size is not None and f.size > settings.KEFU_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_too_large_message(), code="too_large")
        content = f.read()
        try:
            checked = check_upload(name=f.name or "file", content=content)
        except DomainError as exc:
            raise forms.ValidationError(
                _("%(problem)s Please choose the file again.") % {"problem": exc.message}, code=exc.code
            ) from exc
        return Upload(name=checked.name, content=checked.content)


class SubmitForm(AttachmentMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=100)
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("Email"),
        max_length=254,
        required=False,
        help_text=gettext_lazy("Give a phone number, an email, or both."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Type of request"), choices=TicketKind.choices, initial=TicketKind.INQUIRY)
    title = forms.CharField(label=gettext_lazy("Subject"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=gettext_lazy("Details"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("What happened, when, and what you would like us to do."),
    )

    field_order = ["name", "phone", "email", "kind", "title", "description", "attachment"]

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            return ""
        try:
            return normalize_phone(raw)
        except DomainError as exc:
            raise forms.ValidationError(_("Enter a valid phone number (digits only)."), code=exc.code) from exc

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        # Only complain when both fields are empty and neither already has its own error.
        if not data.get("phone") and not data.get("email") and "phone" not in self.errors and "email" not in self.errors:
            raise forms.ValidationError(
                _("Give a phone number or an email so that we can reach you."), code="contact_required"
            )
        return data


class ReplyForm(AttachmentMixin, forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your reply"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )

    field_order = ["body", "attachment"]


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What is still not solved?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
