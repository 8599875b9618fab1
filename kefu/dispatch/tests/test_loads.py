"""The per-agent open-ticket counters (AgentLoad) that dispatch reads: kept by database triggers, so
they must equal a recount after any write to tickets_ticket, through the services or around them."""

from __future__ import annotations

import random
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connections, transaction
from django.utils import timezone

from kefu.accounts.choices import Presence
from kefu.dispatch.models import AgentLoad
from kefu.dispatch.selectors import agent_loads_drift, agent_loads_recount, agent_workloads
from kefu.tests.factories import UserFactory
from kefu.tickets.choices import OPEN_STATUSES, PRIORITY_RANK, Priority, TicketStatus
from kefu.tickets.models import Ticket
from kefu.tickets.services import (
    TicketInput,
    ticket_assign,
    ticket_change_priority,
    ticket_change_status,
    ticket_create,
)


def raw_ticket(**kw) -> Ticket:  # type: ignore[no-untyped-def]
    """A ticket written straight to the table, around the services."""
    now = timezone.now()
    return Ticket.objects.create(created_at=now, updated_at=now, **kw)


def stored(user) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    row = AgentLoad.objects.filter(user_id=user.pk).first()
    return (row.open_count, row.weighted) if row else (0, 0)


@pytest.mark.django_db
def test_every_status_counts_exactly_when_open(front_team):
    """One ticket per status, written straight to the table: the trigger's frozen status list is
    tickets.choices.OPEN_STATUSES."""
    agent = UserFactory(team=front_team)
    for i, status in enumerate(TicketStatus.values):
        raw_ticket(number=f"S{i}", title="x", status=status, assignee=agent, team=front_team)
    assert stored(agent) == (len(OPEN_STATUSES), 2 * len(OPEN_STATUSES))
    assert agent_loads_drift() == {}


@pytest.mark.django_db
def test_services_keep_the_counter(front_team, lead_linda):
    alice, bob = UserFactory(team=front_team), UserFactory(team=front_team)
    t = ticket_create(actor=lead_linda, data=TicketInput(title="宽带无法上网"))
    assert stored(alice) == (0, 0)  # unassigned tickets count for nobody
    ticket_assign(actor=lead_linda, number=t.number, assignee=alice)
    assert stored(alice) == (1, PRIORITY_RANK[Priority.NORMAL])
    ticket_change_priority(actor=lead_linda, number=t.number, priority=Priority.URGENT)
    assert stored(alice) == (1, PRIORITY_RANK[Priority.URGENT])
    ticket_assign(actor=lead_linda, number=t.number, assignee=bob)
    assert stored(alice) == (0, 0)
    assert stored(bob) == (1, PRIORITY_RANK[Priority.URGENT])
    ticket_change_status(actor=bob, number=t.number, status=TicketStatus.RESOLVED)
    assert stored(bob) == (0, 0)
    ticket_change_status(actor=lead_linda, number=t.number, status=TicketStatus.IN_PROGRESS)  # reopened
    assert stored(bob) == (1, PRIORITY_RANK[Priority.URGENT])
    assert agent_workloads([alice.pk, bob.pk])[bob.pk].load == 1
    Ticket.objects.filter(pk=t.pk).delete()
    assert stored(bob) == (0, 0)
    assert agent_loads_drift() == {}


@pytest.mark.django_db
def test_random_writes_around_the_services_match_a_recount(front_team):
    """A few hundred random inserts, single-row and bulk updates and deletes: counters == recount."""
    rng = random.Random(4)
    agents = [UserFactory(team=front_team) for _ in range(5)]
    choices = [None, *agents]
    ranks = list(PRIORITY_RANK.values())
    made = 0
    for step in range(300):
        op = rng.random()
        ids = list(Ticket.objects.values_list("pk", flat=True))
        if op < 0.35 or not ids:
            raw_ticket(
                number=f"R{made}", title="x", status=rng.choice(TicketStatus.values), assignee=rng.choice(choices),
                priority_rank=rng.choice(ranks), team=front_team,
            )
            made += 1
        elif op < 0.75:
            Ticket.objects.filter(pk=rng.choice(ids)).update(
                **rng.choice([
                    {"assignee": rng.choice(choices)},
                    {"status": rng.choice(TicketStatus.values)},
                    {"priority_rank": rng.choice(ranks)},
                    {"assignee": rng.choice(choices), "status": rng.choice(TicketStatus.values),
                     "priority_rank": rng.choice(ranks)},
                ])
            )
        elif op < 0.85:
            # One statement moving many rows between agents and statuses.
            Ticket.objects.filter(pk__in=rng.sample(ids, min(len(ids), 5))).update(
                assignee=rng.choice(choices), status=rng.choice(TicketStatus.values)
            )
        else:
            Ticket.objects.filter(pk=rng.choice(ids)).delete()
        if step % 50 == 0:
            assert agent_loads_drift() == {}, step
    assert agent_loads_drift() == {}
    assert sum(n for n, _w in agent_loads_recount().values()) > 0  # the walk did leave open assigned tickets


@pytest.mark.django_db
def test_drift_is_reported_and_repaired(front_team):
    agent = UserFactory(team=front_team)
    raw_ticket(number="D1", title="x", status=TicketStatus.ASSIGNED, assignee=agent, team=front_team)
    call_command("dispatch_loads")  # all match: no error
    AgentLoad.objects.filter(user_id=agent.pk).update(open_count=7, weighted=3)
    AgentLoad.objects.create(user_id=agent.pk + 1000, open_count=2, weighted=4)  # a row with no tickets behind it
    assert agent_loads_drift() == {agent.pk: ((7, 3), (1, 2)), agent.pk + 1000: ((2, 4), (0, 0))}
    with pytest.raises(CommandError, match="2 differ"):
        call_command("dispatch_loads")
    call_command("dispatch_loads", "--repair")
    assert agent_loads_drift() == {}
    assert stored(agent) == (1, 2)


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_in_opposite_directions_neither_deadlock_nor_drift(front_team):
    """Threads moving tickets A→B and B→A at once: on PostgreSQL the trigger updates the two
    counter rows in user-id order, so no transaction deadlocks; the counters end exact."""
    a, b = UserFactory(team=front_team, presence=Presence.ONLINE), UserFactory(team=front_team, presence=Presence.ONLINE)
    tickets = [
        raw_ticket(number=f"M{i}", title="x", status=TicketStatus.ASSIGNED, assignee=(a if i % 2 else b), team=front_team)
        for i in range(16)
    ]
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            for round_ in range(25):
                # Each thread owns two tickets and flips them back and forth, one move per
                # transaction; at any moment about half the moves go A→B and half B→A.
                t = tickets[2 * i + round_ % 2]
                with transaction.atomic():
                    row = Ticket.objects.select_for_update().get(pk=t.pk)
                    Ticket.objects.filter(pk=t.pk).update(assignee=(b if row.assignee_id == a.pk else a))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert errors == []
    assert agent_loads_drift() == {}
    assert sum(n for n, _w in agent_loads_recount().values()) == 16
