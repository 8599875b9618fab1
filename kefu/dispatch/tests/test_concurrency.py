"""Dispatch under real concurrency: threads, each with its own connection, on whichever database the
suite runs (SQLite by default; PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connections, transaction
from django.db.models import Count

from kefu.accounts.choices import Presence
from kefu.accounts.models import User
from kefu.dispatch.models import DispatchDecision
from kefu.dispatch.selectors import agent_loads_drift
from kefu.dispatch.services import dispatch_on_create, dispatch_team_queue
from kefu.tests.factories import UserFactory
from kefu.tickets.choices import OPEN_STATUSES, EventKind, TicketStatus
from kefu.tickets.models import Ticket, TicketEvent
from kefu.tickets.services import TicketInput, ticket_change_status, ticket_create

pytestmark = pytest.mark.django_db(transaction=True)

CREATORS = 32
AGENTS = 4
CAPACITY = 3


def run_threads(n: int, work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    return errors


def assert_invariants(agents: list[User]) -> None:
    loads = dict(
        Ticket.objects.filter(assignee__in=agents, status__in=OPEN_STATUSES)
        .values_list("assignee_id").annotate(n=Count("id")).order_by()
    )
    assert all(n <= CAPACITY for n in loads.values()), loads
    # Each ticket was assigned automatically at most once per free slot: never two robot assignments
    # racing for the same ticket.
    per_ticket = Counter(
        TicketEvent.objects.filter(kind=EventKind.ASSIGNED, actor__username="dispatch-bot").values_list("ticket_id", flat=True)
    )
    assert all(n == 1 for n in per_ticket.values()), per_ticket
    assert agent_loads_drift() == {}  # the counters dispatch read are exact after the race


def test_32_concurrent_creators_never_overfill_an_agent(front_team):
    lead = UserFactory(username="lead", team=front_team, role="team_lead")
    agents = [
        UserFactory(username=f"a{i}", team=front_team, presence=Presence.ONLINE, capacity=CAPACITY) for i in range(AGENTS)
    ]

    def create(i: int) -> None:
        # As the hook will sit: at the end of ticket_create, inside its transaction.
        with transaction.atomic():
            ticket = ticket_create(actor=lead, data=TicketInput(title=f"并发 {i}"))
            dispatch_on_create(ticket_id=ticket.pk)

    assert run_threads(CREATORS, create) == []
    assert Ticket.objects.count() == CREATORS  # none lost
    assert DispatchDecision.objects.filter(trigger="create").count() == CREATORS  # every ticket decided
    assigned = Ticket.objects.filter(assignee__isnull=False).count()
    assert assigned == AGENTS * CAPACITY  # every free slot filled
    assert Ticket.objects.filter(assignee__isnull=True, status=TicketStatus.NEW, team=front_team).count() == CREATORS - assigned
    assert_invariants(agents)

    # Agents close work while drains run concurrently: capacity freed is refilled exactly once.
    done = list(Ticket.objects.filter(assignee__isnull=False).select_related("assignee").order_by("id")[:8])

    def close_and_drain(i: int) -> None:
        if i < len(done):
            t = done[i]
            with transaction.atomic():
                ticket_change_status(actor=t.assignee, number=t.number, status=TicketStatus.RESOLVED)
        dispatch_team_queue(front_team)

    assert run_threads(12, close_and_drain) == []
    dispatch_team_queue(front_team)
    assert_invariants(agents)
    open_assigned = Ticket.objects.filter(assignee__isnull=False, status__in=OPEN_STATUSES).count()
    assert open_assigned == AGENTS * CAPACITY
    assert Ticket.objects.filter(assignee__isnull=True, status=TicketStatus.NEW).count() == CREATORS - assigned - 8
