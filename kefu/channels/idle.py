"""The mailbox watcher: one long-lived IMAP connection per account that waits with IDLE (RFC 2177)
when the server advertises it, and polls on the same connection when it does not.

`kefu channels_idle` runs one watcher thread per active IMAP account. New mail becomes a ticket as
soon as the server announces it (EXISTS), through the same intake as the clock's fetch
(`fetch_from_source`: marked seen only after the commit). RFC 2177 lets servers drop an IDLE after
30 minutes, so the IDLE is ended and started again every `IDLE_SECONDS` (25 min), with a fetch in
between (that also catches mail that came while the connection was busy). Any error (server
down, BYE, timeout) closes the connection, is written to the account's `last_error`, and the
watcher connects again after a backoff of 5 s doubling to 5 min. The clock's polling fetch may
keep running beside it: the unique (account, external_id) makes a mail taken twice a no-op.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections
from django.utils import timezone

from kefu.channels import transport, vault
from kefu.channels.models import ChannelAccount
from kefu.channels.services import FetchResult, fetch_from_source

logger = logging.getLogger(__name__)

IDLE_SECONDS = 25 * 60
BACKOFF_FIRST, BACKOFF_MAX = 5.0, 300.0
SOCKET_TIMEOUT = 60.0


def account_watch(
    *,
    account_id: int,
    stop: threading.Event,
    idle_seconds: float = IDLE_SECONDS,
    poll_seconds: float | None = None,
    on_wait: Callable[[str], None] | None = None,
    on_fetch: Callable[[FetchResult], None] | None = None,
) -> None:
    """Watch one mailbox until `stop` is set. `on_wait` is told "idle" or "poll" before each wait
    and `on_fetch` gets each round's result (the command logs them; tests watch them)."""
    backoff = BACKOFF_FIRST
    while not stop.is_set():
        close_old_connections()
        account = ChannelAccount.objects.filter(pk=account_id, is_active=True, kind="email").first()
        if account is None or account.config.get("source") == "maildir":
            return
        try:
            password = vault.decrypt(account.secret_encrypted)
            with transport.open_source(account.config, password, timeout=SOCKET_TIMEOUT) as source:
                idle = isinstance(source, transport.ImapSource) and source.can_idle()
                logger.info("channels: watching %s (%s)", account.name, "IDLE" if idle else "polling")
                while not stop.is_set():
                    result = fetch_from_source(account=account, source=source)
                    ChannelAccount.objects.filter(pk=account_id).update(
                        last_fetch_at=timezone.now(), last_error=""
                    )
                    close_old_connections()
                    backoff = BACKOFF_FIRST
                    if on_fetch is not None:
                        on_fetch(result)
                    if stop.is_set():
                        break
                    if on_wait is not None:
                        on_wait("idle" if idle else "poll")
                    if idle:
                        assert isinstance(source, transport.ImapSource)
                        source.idle_wait(idle_seconds, stop)
                    else:
                        stop.wait(poll_seconds if poll_seconds is not None else account.poll_seconds)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
            logger.warning("channels: watcher of %s: %s; again in %.0f s", account.name, error, backoff)
            ChannelAccount.objects.filter(pk=account_id).update(last_error=error)
            close_old_connections()
            stop.wait(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)
