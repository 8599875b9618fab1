"""Mail the tracking link to a customer who gave an email on the portal.

The link is the customer's only way back to their request, so it also goes by email. The mail is
sent after the ticket's transaction commits (a rolled-back submission must not send a link to a
ticket that does not exist), and a mail failure is logged, never shown as an error: the ticket
exists and the page already shows the link.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from kefu.tickets.models import Ticket

log = logging.getLogger("kefu.tickets.portal")


def tracking_link_mail_on_commit(*, ticket: Ticket, email: str, name: str, link: str) -> None:
    """Compose the mail now (in the customer's language) and send it once the transaction commits."""
    subject = _("[%(number)s] We received your request") % {"number": ticket.number}
    body = _(
        "Hello %(name)s,\n\n"
        "We received your request “%(title)s” (number %(number)s).\n\n"
        "Follow it, read our replies and answer us here:\n%(link)s\n\n"
        "Keep this link: it is the only way back to your request, and anyone who has it can read it.\n"
    ) % {"name": name, "title": ticket.title, "number": ticket.number, "link": link}
    number = ticket.number

    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
        except Exception:
            log.exception("Could not mail the tracking link of %s", number)

    transaction.on_commit(send)
