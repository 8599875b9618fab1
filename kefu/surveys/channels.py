"""How a survey reaches the customer: email (Django mail), SMS and WeChat through an HTTP gateway.

A channel has `address(customer)` and `send(address, message)`. The SMS and WeChat gateways are
outside systems reached by POSTing JSON to KEFU_SMS_GATEWAY_URL / KEFU_WECHAT_GATEWAY_URL through the
`Poster` seam of kefu.sla.notify (tests point them at a local server). A gateway without a URL is
simply unavailable, and the survey falls back to the next channel the customer can be reached on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail

from kefu.customers.models import Customer
from kefu.sla.notify import Poster, urllib_post
from kefu.surveys.choices import DeliveryChannel
from kefu.tickets.choices import Channel as TicketChannel


@dataclass(frozen=True)
class SurveyMessage:
    subject: str
    text: str
    link: str


class SurveyChannel(Protocol):
    name: str

    def address(self, customer: Customer) -> str: ...

    def send(self, address: str, message: SurveyMessage) -> None: ...


class EmailSurveyChannel:
    name = DeliveryChannel.EMAIL.value

    def address(self, customer: Customer) -> str:
        return customer.email or ""

    def send(self, address: str, message: SurveyMessage) -> None:
        send_mail(message.subject, f"{message.text}\n\n{message.link}", settings.DEFAULT_FROM_EMAIL, [address])


class GatewaySurveyChannel:
    """SMS (to the primary phone) or WeChat (to the customer's WeChat ID) through the site's gateway."""

    def __init__(self, *, name: str, url: str, poster: Poster | None = None) -> None:
        self.name = name
        self.url = url
        self.poster = poster or urllib_post

    def address(self, customer: Customer) -> str:
        if self.name == DeliveryChannel.WECHAT:
            return customer.wechat_id or ""
        phones = list(customer.phones.all())
        return phones[0].number if phones else ""

    def send(self, address: str, message: SurveyMessage) -> None:
        payload = {"channel": self.name, "to": address, "text": f"{message.text} {message.link}", "link": message.link}
        status = self.poster(self.url, payload)
        if status >= 400:
            raise RuntimeError(f"{self.name} gateway answered HTTP {status}")


def available_channels() -> dict[str, SurveyChannel]:
    out: dict[str, SurveyChannel] = {DeliveryChannel.EMAIL.value: EmailSurveyChannel()}
    sms_url = getattr(settings, "KEFU_SMS_GATEWAY_URL", "")
    wechat_url = getattr(settings, "KEFU_WECHAT_GATEWAY_URL", "")
    if sms_url:
        out[DeliveryChannel.SMS.value] = GatewaySurveyChannel(name=DeliveryChannel.SMS.value, url=sms_url)
    if wechat_url:
        out[DeliveryChannel.WECHAT.value] = GatewaySurveyChannel(name=DeliveryChannel.WECHAT.value, url=wechat_url)
    return out


# The channel the customer used first, then the others.
PREFERENCE: dict[str, tuple[str, ...]] = {
    TicketChannel.EMAIL: ("email", "sms", "wechat"),
    TicketChannel.WECHAT: ("wechat", "sms", "email"),
    TicketChannel.PHONE: ("sms", "wechat", "email"),
    TicketChannel.WALK_IN: ("sms", "wechat", "email"),
}
DEFAULT_PREFERENCE = ("email", "sms", "wechat")


def pick_channel(ticket_channel: str, customer: Customer) -> tuple[SurveyChannel, str] | None:
    """The first channel (in the customer's own channel's order) that is configured and has an address."""
    channels = available_channels()
    for name in PREFERENCE.get(ticket_channel, DEFAULT_PREFERENCE):
        channel = channels.get(name)
        if channel is None:
            continue
        address = channel.address(customer)
        if address:
            return channel, address
    return None


def channel_named(name: str) -> SurveyChannel | None:
    return available_channels().get(name)
