"""`kefu channels_fetch [--account ID ...]`: fetch the mailboxes now, once (the clock does it on its
own every account's poll interval)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kefu.channels.models import ChannelAccount
from kefu.channels.services import account_fetch_now


class Command(BaseCommand):
    help = "Fetch unseen mail of the channel accounts now and turn it into tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", type=int, action="append", help="account id (default: every active one)")

    def handle(self, *args: Any, **options: Any) -> None:
        qs = ChannelAccount.objects.filter(is_active=True, kind="email")
        if options["account"]:
            qs = qs.filter(pk__in=options["account"])
        for account in qs.order_by("pk"):
            result = account_fetch_now(account=account)
            self.stdout.write(f"{account.name}: {result.fetched} fetched, {result.created} new, {result.duplicates} already taken in")
