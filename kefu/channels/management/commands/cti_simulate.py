"""`kefu cti_simulate`: replay a day of the bank call log (../shared/callcenter) as signed CTI
events against /api/v1/channels/calls/events: screen pops, call records, missed-call callbacks.

    kefu cti_simulate --account 3 --limit 50                      # in this process, as fast as it goes
    kefu cti_simulate --account 3 --url http://127.0.0.1:8010 --speed 60   # a running kefu, 60× real time
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kefu.accounts.models import User
from kefu.channels import signing, simulate
from kefu.channels.models import ChannelAccount


class Command(BaseCommand):
    help = "Replay a day of the bank call log as signed CTI events (screen pop, calls, callbacks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", type=int, help="CTI account id (default: the first active one)")
        parser.add_argument("--log", type=Path, help="call log (default: shared/callcenter January 1999)")
        parser.add_argument("--day", help="day of the log, YYMMDD (default: its busiest day)")
        parser.add_argument("--on", type=date.fromisoformat, help="play it on this date (default: today)")
        parser.add_argument("--limit", type=int, default=0, help="only the first N calls")
        parser.add_argument("--url", help="base URL of a running kefu (default: in this process)")
        parser.add_argument("--speed", type=float, default=0, help="N times real time; 0 = as fast as possible")
        parser.add_argument("--agents", nargs="*", help="user names to map the log's agents onto (default: the account team's)")

    def handle(self, *args: Any, **options: Any) -> None:
        qs = ChannelAccount.objects.filter(kind="cti", is_active=True)
        account = qs.filter(pk=options["account"]).first() if options["account"] else qs.order_by("pk").first()
        if account is None:
            raise CommandError("No active CTI account (create one at 渠道 → 新建 CTI 账号).")
        log = options["log"] or simulate.default_log()
        if log is None or not Path(log).exists():
            raise CommandError("The call log is not there: give --log (shared/callcenter/anonymous_bank_1999_01_january.txt).")
        day, calls = simulate.read_day(Path(log), options["day"])
        if options["limit"]:
            calls = calls[: options["limit"]]
        agents = options["agents"] or list(
            User.objects.filter(is_active=True, team_id=account.team_id or 0).order_by("pk").values_list("username", flat=True)
        )
        events = simulate.events_for(calls, day=options["on"] or timezone.localdate(), agents=agents)
        send = simulate.http_sender(options["url"]) if options["url"] else simulate.client_sender()
        self.stdout.write(f"{account.name}: day {day}, {len(calls)} calls, {len(events)} events, {len(agents)} agents")
        result = simulate.play(events, account_id=account.pk, secret=signing.webhook_secret(account), send=send,
                               speed=options["speed"])
        self.stdout.write(f"sent {result.sent}, refused {result.failed}, already taken {result.duplicates}")
        if result.failed:
            raise CommandError(f"{result.failed} events were refused")
