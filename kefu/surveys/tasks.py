"""Background work: thin wrappers that reload rows and call one service (enqueued after commit)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.surveys.models import DailySummary


@task()
def summary_mail_task(*, summary_id: int) -> None:
    """Mail the day's callback summary to every active manager with an email address."""
    row = DailySummary.objects.filter(pk=summary_id).first()
    if row is None or not row.data:
        return
    emails = list(User.objects.filter(role=Role.MANAGER, is_active=True).exclude(email="").values_list("email", flat=True))
    if not emails:
        return
    d = row.data
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Callback summary for %(day)s") % {"day": d["day"]}
        body = _(
            "Callbacks due: %(due)s\nDone: %(done)s\nOverdue: %(overdue)s\nCalls made: %(calls)s\n"
            "Reached rate: %(reached)s\nRepaired rate: %(repaired)s\n"
        ) % {
            "due": d["due"],
            "done": d["done"],
            "overdue": d["overdue"],
            "calls": d["calls"],
            "reached": "—" if d["reached_rate"] is None else f"{d['reached_rate']}%",
            "repaired": "—" if d["repaired_rate"] is None else f"{d['repaired_rate']}%",
        }
    send_mail(str(subject), str(body), settings.DEFAULT_FROM_EMAIL, emails)
