"""A small October 2026 world with hand-computed numbers (see docs/metrics.md).

Default calendar 中国工作日历: Mon–Fri 09:00–12:00 and 13:30–18:00; 2026-10-01..07 National Day
holidays (10-03/04 a weekend), 2026-10-10 (Saturday) a make-up working day (调休, Monday hours).

  A alice  created 09-30 16:00, reply 10-08 09:30, resolved 10-08 10:00   FRT 150  TTR 180  (spans Sept/Oct, holidays)
  B alice  created 10-10 10:00 (调休 Sat), reply 11:00, resolved 11:30    FRT 60   TTR 90
  C bob    created 10-12 09:00, reply 10:00 → pending customer, customer
           answers 10-13 09:00, resolved 10-13 10:00                       FRT 60   TTR 120 (paused overnight)
  D bob    created 10-12 09:00, reply 09:30, resolved 10:00, reopened
           14:00, resolved 15:00                                           FRT 30   TTR 120 (reopen)
  E alice  王, 账单, created 10-14 09:00, reply 09:10, resolved 09:20       FRT 10   TTR 20   not FCR (F)
  F charlie 王, 账单, complaint, created 10-16 09:00, open                 repeat complaint (K)
  G charlie 王, 其他, created 10-20 09:00, reply 09:05, resolved 09:15      FRT 5    TTR 10   FCR
  K charlie 王, complaint, created 09-20 10:00 (调休 Sunday), open
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kefu.accounts.models import User
from kefu.sla.services import sla_recompute
from kefu.tests.factories import CategoryFactory, TicketFactory
from kefu.tickets.access import portal_token
from kefu.tickets.choices import MessageKind, TicketKind, TicketStatus
from kefu.tickets.models import Ticket
from kefu.tickets.services import ticket_add_message, ticket_change_status, ticket_customer_reply

SH = ZoneInfo("Asia/Shanghai")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def at(text: str):  # type: ignore[no-untyped-def]
    return time_machine.travel(t(text), tick=False)


@dataclass
class World:
    tickets: dict[str, Ticket]
    alice: User
    bob: User
    charlie: User


def _reply(agent: User, ticket: Ticket, when: str, status: str | None = None) -> None:
    with at(when):
        ticket_add_message(actor=agent, number=ticket.number, kind=MessageKind.REPLY, body="您好", status=status)


def _status(agent: User, ticket: Ticket, when: str, status: str) -> None:
    with at(when):
        ticket_change_status(actor=agent, number=ticket.number, status=status)


@pytest.fixture
def world(agent_alice, teammate_bob, outsider_charlie, customer_wang, category_billing) -> World:
    other = CategoryFactory(name="其他")
    a, b, c = agent_alice, teammate_bob, outsider_charlie
    made: dict[str, Ticket] = {}

    def new(name: str, agent: User, when: str, **kw) -> Ticket:  # type: ignore[no-untyped-def]
        with at(when):
            made[name] = TicketFactory(actor=agent, assignee=agent, team=agent.team, **kw)
        return made[name]

    new("K", c, "2026-09-20 10:00", customer=customer_wang, kind=TicketKind.COMPLAINT, category=category_billing)
    A = new("A", a, "2026-09-30 16:00")
    _reply(a, A, "2026-10-08 09:30")
    _status(a, A, "2026-10-08 10:00", TicketStatus.RESOLVED)
    B = new("B", a, "2026-10-10 10:00")
    _reply(a, B, "2026-10-10 11:00")
    _status(a, B, "2026-10-10 11:30", TicketStatus.RESOLVED)
    C = new("C", b, "2026-10-12 09:00")
    _reply(b, C, "2026-10-12 10:00", TicketStatus.PENDING_CUSTOMER)
    with at("2026-10-13 09:00"):
        ticket_customer_reply(token=portal_token(C), body="照片已补充")
    _status(b, C, "2026-10-13 10:00", TicketStatus.RESOLVED)
    D = new("D", b, "2026-10-12 09:00")
    _reply(b, D, "2026-10-12 09:30")
    _status(b, D, "2026-10-12 10:00", TicketStatus.RESOLVED)
    _status(b, D, "2026-10-12 14:00", TicketStatus.IN_PROGRESS)
    _status(b, D, "2026-10-12 15:00", TicketStatus.RESOLVED)
    E = new("E", a, "2026-10-14 09:00", customer=customer_wang, category=category_billing)
    _reply(a, E, "2026-10-14 09:10")
    _status(a, E, "2026-10-14 09:20", TicketStatus.RESOLVED)
    new("F", c, "2026-10-16 09:00", customer=customer_wang, category=category_billing, kind=TicketKind.COMPLAINT)
    G = new("G", c, "2026-10-20 09:00", customer=customer_wang, category=other)
    _reply(c, G, "2026-10-20 09:05")
    _status(c, G, "2026-10-20 09:15", TicketStatus.RESOLVED)
    with at("2026-11-02 09:00"):
        for ticket in made.values():
            sla_recompute(ticket.pk)
    return World(tickets={k: Ticket.objects.get(pk=v.pk) for k, v in made.items()}, alice=a, bob=b, charlie=c)
