"""Background work: thin wrappers that reload rows and call one service."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.tickets.access import portal_token
from kefu.tickets.carriers import carried_elsewhere
from kefu.tickets.models import TicketMessage


@task()
def ticket_reply_notify_task(*, message_id: int) -> None:
    """Email the customer that a reply is waiting, with the tracking link (idempotent enough: a
    retried run sends the same mail again, never a wrong one)."""
    message = TicketMessage.objects.select_related("ticket__customer").filter(pk=message_id).first()
    if message is None:
        return
    ticket = message.ticket
    customer = ticket.customer
    if customer is None or not customer.email or carried_elsewhere(message):
        return
    link = f"{settings.SITE_ROOT.rstrip('/')}/portal/t/{portal_token(ticket)}/"
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[%(number)s] New reply to your request") % {"number": ticket.number}
        body = _("Hello %(name)s,\n\nThere is a new reply to your request “%(title)s”:\n\n%(body)s\n\nSee and answer it here: %(link)s\n") % {
            "name": customer.name,
            "title": ticket.title,
            "body": message.body,
            "link": link,
        }
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [customer.email])
