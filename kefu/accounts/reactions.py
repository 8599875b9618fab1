"""Reactions to account changes. Apps above accounts (dispatch) subscribe in AppConfig.ready();
accounts imports none of them.

    from kefu.accounts.reactions import on_presence_change
    on_presence_change("dispatch.presence", lambda user: ...)
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from kefu.accounts.models import User

logger = logging.getLogger("kefu.reactions")

_presence: dict[str, Callable[[User], None]] = {}


def on_presence_change(name: str, handler: Callable[[User], None]) -> None:
    """Run `handler(user)` after a presence change commits (the same name again replaces it)."""
    _presence[name] = handler


def presence_changed(user: User) -> None:
    """Called by user_set_presence inside its transaction; the handlers run after commit, each on
    its own (one failing does not stop the others; the presence change stands)."""

    def _run() -> None:
        for name, handler in _presence.items():
            try:
                handler(user)
            except Exception:
                logger.exception("presence reaction %s failed for user %s", name, user.pk)

    transaction.on_commit(_run)
