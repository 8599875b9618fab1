"""Apps that carry an agent's reply to the customer themselves register here (the email channel
answers a mail with a mail, in the thread). The ticket app's own "there is a reply" notice then
stays silent for that message, so the customer does not get two mails for one answer.

    from kefu.tickets.carriers import register_reply_carrier
    register_reply_carrier("channels.email", lambda message: ...)  # True: this app delivers it
"""

from __future__ import annotations

from collections.abc import Callable

from kefu.tickets.models import TicketMessage

_carriers: dict[str, Callable[[TicketMessage], bool]] = {}


def register_reply_carrier(name: str, carries: Callable[[TicketMessage], bool]) -> None:
    _carriers[name] = carries


def carried_elsewhere(message: TicketMessage) -> bool:
    return any(carries(message) for _name, carries in sorted(_carriers.items()))
