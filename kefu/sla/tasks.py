"""Background work: thin wrappers that reload rows and send through the channels."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.tasks import task

from kefu.sla import notify
from kefu.sla.choices import SlaEventKind
from kefu.sla.models import Notification, RobotWebhook, SlaEvent

# Tests may swap the poster (only the outside HTTP); production uses urllib.
POSTER: notify.Poster | None = None


def channels_for(event: SlaEvent, team_id: int | None) -> list[notify.Channel]:
    channels: list[notify.Channel] = [notify.EmailChannel()]
    robots = RobotWebhook.objects.filter(is_active=True).filter(Q(team__isnull=True) | Q(team_id=team_id))
    if event.kind == SlaEventKind.WARNING:
        robots = robots.filter(include_warnings=True)
    for robot in robots.order_by("pk"):
        channels.append(notify.RobotChannel(kind=robot.kind, url=robot.url, poster=POSTER))
    return channels


@task()
def sla_event_notify_task(*, event_id: int) -> None:
    """Email the notified staff and post to the robots of the ticket's team. A retried run sends
    again (at least once); a missing event (ticket deleted) is a no-op."""
    event = SlaEvent.objects.select_related("ticket").filter(pk=event_id).first()
    if event is not None:
        _notify(event)


@task()
def sla_events_notify_task(*, event_ids: list[int]) -> None:
    """`sla_event_notify_task` for the events of one clock batch (one task row per batch)."""
    for event in SlaEvent.objects.select_related("ticket").filter(pk__in=event_ids).order_by("pk"):
        _notify(event)


def _notify(event: SlaEvent) -> None:
    notes = list(Notification.objects.filter(event=event).select_related("user"))
    title = notes[0].title if notes else f"{event.ticket.number} {event.get_kind_display()}"
    emails = tuple(n.user.email for n in notes if n.user.email)
    link = f"{settings.SITE_ROOT.rstrip('/')}/tickets/{event.ticket.number}/"
    message = notify.OutboundMessage(title=title, body=event.ticket.title, link=link, emails=emails)
    notify.send_all(channels_for(event, event.ticket.team_id), message)
