"""`kefu channels_idle [--account ID ...]`: keep a connection to every active IMAP mailbox and take
new mail in as soon as it arrives (IMAP IDLE where the server has it, else polling every account's
interval). Runs until stopped (SIGTERM / Ctrl-C)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kefu.channels.idle import account_watch
from kefu.channels.models import ChannelAccount


class Command(BaseCommand):
    help = "Watch the IMAP mailboxes (IDLE, else polling) and turn new mail into tickets at once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--account", type=int, action="append", help="account id (default: every active IMAP one)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        qs = ChannelAccount.objects.filter(is_active=True, kind="email").exclude(config__source="maildir")
        if options["account"]:
            qs = qs.filter(pk__in=options["account"])
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        threads = [
            threading.Thread(
                target=account_watch, kwargs={"account_id": pk, "stop": stop}, name=f"imap-{pk}", daemon=True
            )
            for pk in qs.order_by("pk").values_list("pk", flat=True)
        ]
        for t in threads:
            t.start()
        self.stdout.write(f"watching {len(threads)} mailbox(es)")
        try:
            while any(t.is_alive() for t in threads) and not stop.wait(1):
                pass
        except KeyboardInterrupt:
            stop.set()
        for t in threads:
            t.join(10)
