"""Background work of dispatch: notifications through kefu.sla's channels."""

from __future__ import annotations

from django.conf import settings
from django.tasks import task

from kefu.accounts.models import User
from kefu.sla.models import RobotWebhook
from kefu.sla.notify import Channel, EmailChannel, OutboundMessage, RobotChannel, send_all
from kefu.tickets.models import Ticket


@task()
def dispatch_notify_task(*, ticket_id: int, user_ids: list[int], title: str, body: str) -> list[str]:
    """Email the users and post to the group robots of the ticket's team (and the global ones).
    Returns the names of channels that failed."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return []
    emails = tuple(e for e in User.objects.filter(pk__in=user_ids, is_active=True).values_list("email", flat=True) if e)
    base = getattr(settings, "KEFU_BASE_URL", "").rstrip("/")
    link = f"{base}/tickets/{ticket.number}/" if base else ""
    channels: list[Channel] = [EmailChannel()]
    robots = RobotWebhook.objects.filter(is_active=True, team_id__in=[ticket.team_id]) | RobotWebhook.objects.filter(
        is_active=True, team__isnull=True
    )
    channels += [RobotChannel(kind=r.kind, url=r.url) for r in robots]
    return send_all(channels, OutboundMessage(title=title, body=body, link=link, emails=emails))
