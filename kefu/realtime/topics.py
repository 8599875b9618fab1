"""Which groups a socket may join beyond its own `user.<id>` and `team.<id>`.

An app registers an authoriser per topic kind: `register_topic("conv", may_watch_conversation)`.
A browser asks with {"type": "subscribe", "topic": "ticket.41"}; the authoriser decides with the
same access helpers the pages use, so a socket never hears what its user may not read.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404

from kefu.accounts.models import User
from kefu.core.errors import DomainError
from kefu.tickets.access import access_ticket

Authoriser = Callable[[User, str], bool]
_topics: dict[str, Authoriser] = {}


def register_topic(kind: str, authorise: Authoriser) -> None:
    _topics[kind] = authorise


def may_join(user: User, topic: str) -> bool:
    """True when `user` may hear `topic` ("<kind>.<key>"). Unknown kinds and bad keys are refused."""
    kind, _dot, key = topic.partition(".")
    authorise = _topics.get(kind)
    if authorise is None or not key or len(topic) > 99:
        return False
    try:
        return bool(authorise(user, key))
    except (Http404, DomainError, ValueError, PermissionError):
        return False


def _may_watch_ticket(user: User, key: str) -> bool:
    access_ticket(user=user, ticket_id=int(key))  # NotFound (a DomainError) when invisible
    return True


def register_builtin() -> None:
    register_topic("ticket", _may_watch_ticket)
