"""Outbound notification channels for SLA events: email, and WeCom / DingTalk group robots.

A channel is anything with `send(message)`. Robots post JSON over HTTP through a `Poster`, the one
seam tests replace (or point at a local server); nothing else here talks to the network. A later
notifications app can take these over; the interface is deliberately this small.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import send_mail

from kefu.sla.choices import RobotKind

logger = logging.getLogger("kefu.sla")

# post(url, json_payload) -> HTTP status. Raises on network errors.
Poster = Callable[[str, dict[str, Any]], int]


def urllib_post(url: str, payload: dict[str, Any], timeout: float = 5.0) -> int:
    """POST JSON with the standard library (no extra runtime dependency)."""
    request = urllib.request.Request(  # noqa: S310 - URLs come from admins' robot settings
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        status: int = response.status
        return status


@dataclass(frozen=True)
class OutboundMessage:
    title: str
    body: str
    link: str = ""
    emails: tuple[str, ...] = field(default=())


class Channel(Protocol):
    name: str

    def send(self, message: OutboundMessage) -> None: ...


class EmailChannel:
    name = "email"

    def send(self, message: OutboundMessage) -> None:
        if not message.emails:
            return
        text = f"{message.body}\n\n{message.link}".strip()
        send_mail(message.title, text, settings.DEFAULT_FROM_EMAIL, list(message.emails))


class RobotChannel:
    """A WeCom (企业微信) or DingTalk (钉钉) group robot. Both accept a text message of this shape."""

    def __init__(self, *, kind: str, url: str, poster: Poster | None = None) -> None:
        if kind not in RobotKind.values:
            raise ValueError(f"unknown robot kind {kind!r}")
        self.name = kind
        self.url = url
        self.poster = poster or urllib_post

    def payload(self, message: OutboundMessage) -> dict[str, Any]:
        content = "\n".join(x for x in (message.title, message.body, message.link) if x)
        return {"msgtype": "text", "text": {"content": content}}

    def send(self, message: OutboundMessage) -> None:
        status = self.poster(self.url, self.payload(message))
        if status >= 400:
            raise RuntimeError(f"{self.name} robot answered HTTP {status}")


def send_all(channels: list[Channel], message: OutboundMessage) -> list[str]:
    """Send through every channel; one failing channel does not stop the others. Returns the names
    of channels that failed (logged)."""
    failed = []
    for channel in channels:
        try:
            channel.send(message)
        except Exception:
            logger.exception("sla: %s channel failed for %r", channel.name, message.title)
            failed.append(channel.name)
    return failed
