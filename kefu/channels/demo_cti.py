"""Phone-channel demo data (电话渠道演示数据): a CTI account of the default team and a morning of
calls replayed by the simulator (kefu.channels.simulate) through the real signed events endpoint —
answered calls with their times and recordings, missed ones with their callbacks, some from demo
customers (their cards pop). `kefu cti_simulate` plays more."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from kefu.accounts.models import Team, User
from kefu.channels import simulate
from kefu.channels.cti import CtiAccountInput, cti_account_save
from kefu.channels.models import ChannelAccount
from kefu.customers.models import CustomerPhone

# Used when the shared call log is not beside the checkout: (queue type, entry, exit, outcome, service s).
_FALLBACK = [("PS", 8 * 3600 + i * 431, 20 + i % 7 * 9, "HANG" if i % 5 == 4 else "AGENT", 90 + i * 17 % 240) for i in range(16)]


def _calls(limit: int) -> list[simulate.LoggedCall]:
    log = simulate.default_log()
    if log is not None:
        _day, calls = simulate.read_day(Path(log))
        # The morning from 08:00: the busy part of the day, in order.
        calls = [c for c in calls if c.q_start >= 8 * 3600]
        if calls:
            return calls[:limit]
    return [
        simulate.LoggedCall(call_id=str(1000 + n), customer_id=str(n), kind=k, q_start=s, q_exit=s + w, outcome=o,
                            ser_start=s + w, ser_exit=s + w + t, server=f"A{n % 3}")
        for n, (k, s, w, o, t) in enumerate(_FALLBACK)
    ][:limit]


def load_cti_demo(*, manager: User, calls: int = 30) -> ChannelAccount:
    team = Team.objects.filter(is_default=True).first()
    secret = secrets.token_urlsafe(24)
    account = cti_account_save(actor=manager, data=CtiAccountInput(
        name="演示呼叫中心 95555", secret=secret, team=team, vendor="kefu simulator", hotline="95555", callback_hours=2,
    ))
    agents = list(User.objects.filter(is_active=True, team=team, role="agent").order_by("pk").values_list("username", flat=True)[:6])
    phones = list(CustomerPhone.objects.order_by("customer_id").values_list("number", flat=True)[:20])
    day = timezone.localdate() - timedelta(days=1)  # yesterday: every call is over
    events = simulate.events_for(_calls(calls), day=day, agents=agents, phones=phones, prefix="demo")
    simulate.play(events, account_id=account.pk, secret=secret, send=simulate.client_sender())
    return account
