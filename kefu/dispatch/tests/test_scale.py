"""What keeps a decision cheap at 500 agents / 100,000 open tickets, checked without timing: the load
read, the trigger-kept counters it relies on, and a query count that does not grow with the team."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kefu.accounts.choices import Presence
from kefu.accounts.models import Skill
from kefu.dispatch.choices import Outcome
from kefu.dispatch.selectors import Workload, agent_workloads
from kefu.dispatch.services import SYSTEM_USERNAME, dispatch_on_create
from kefu.tests.factories import UserFactory
from kefu.tickets.choices import OPEN_STATUSES, TicketStatus
from kefu.tickets.models import Ticket
from kefu.tickets.services import TicketInput, ticket_create

pytestmark = pytest.mark.django_db


def _ticket(n: int, *, assignee, status=TicketStatus.IN_PROGRESS, priority="normal", rank=2) -> Ticket:  # type: ignore[no-untyped-def]
    return Ticket.objects.create(
        number=f"T-SCALE-{n}", title="x", assignee=assignee, team=assignee.team if assignee else None, status=status,
        priority=priority, priority_rank=rank, created_at=timezone.now(), updated_at=timezone.now(),
    )


def test_agent_workloads_counts_open_tickets_weights_them_and_lists_skills(front_team, agent_alice, teammate_bob):
    english, billing = Skill.objects.create(name="English"), Skill.objects.create(name="Billing")
    agent_alice.skills.add(english, billing)
    _ticket(1, assignee=agent_alice, priority="urgent", rank=4)
    _ticket(2, assignee=agent_alice, status=TicketStatus.PENDING_CUSTOMER)
    _ticket(3, assignee=agent_alice, status=TicketStatus.RESOLVED)  # done: not load
    _ticket(4, assignee=agent_alice, status=TicketStatus.CLOSED)
    _ticket(5, assignee=teammate_bob, status=TicketStatus.ASSIGNED, priority="low", rank=1)
    idle = UserFactory(username="idle", team=front_team)

    work = agent_workloads([agent_alice.pk, teammate_bob.pk, idle.pk])

    assert work == {
        agent_alice.pk: Workload(load=2, weighted=6, skill_ids=frozenset({english.pk, billing.pk})),
        teammate_bob.pk: Workload(load=1, weighted=1, skill_ids=frozenset()),
        idle.pk: Workload(),
    }
    assert agent_workloads([]) == {}


def test_agent_workloads_gives_the_last_automatic_assignment(front_team, agent_alice, lead_linda):
    assert agent_workloads([agent_alice.pk])[agent_alice.pk].last_assigned_at is None
    first = dispatch_on_create(ticket_id=ticket_create(actor=lead_linda, data=TicketInput(title="a")).pk)
    later = timezone.now() + timedelta(minutes=5)
    second = dispatch_on_create(ticket_id=ticket_create(actor=lead_linda, data=TicketInput(title="b")).pk, now=later)
    assert first is not None and second is not None and second.chosen_id == agent_alice.pk
    assert agent_workloads([agent_alice.pk])[agent_alice.pk].last_assigned_at == later


def test_load_counters_are_kept_by_triggers_over_exactly_the_open_statuses():
    """The load read is one AgentLoad row per agent; the rows are kept by triggers whose frozen
    status list must be tickets.choices.OPEN_STATUSES (test_loads checks every status by writing)."""
    migration = importlib.import_module("kefu.dispatch.migrations.0004_agent_load")
    assert migration.OPEN.replace("'", "").split(", ") == [str(s) for s in OPEN_STATUSES]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'tickets_ticket'::regclass AND NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tickets_ticket'")
        names = {r[0] for r in cursor.fetchall()}
        constraints = connection.introspection.get_constraints(cursor, Ticket._meta.db_table)
    assert {"dispatch_agentload_ai", "dispatch_agentload_au", "dispatch_agentload_ad"} <= names
    assert "dispatch_ticket_load_idx" not in constraints  # nothing counts tickets per decision any more


def _dispatch_queries(lead, title: str) -> tuple[list[str], object]:  # type: ignore[no-untyped-def]
    ticket = ticket_create(actor=lead, data=TicketInput(title=title))
    with CaptureQueriesContext(connection) as ctx:
        decision = dispatch_on_create(ticket_id=ticket.pk, ticket=ticket)
    return [q["sql"] for q in ctx.captured_queries], decision


def test_decision_queries_do_not_grow_with_the_team_or_its_load(front_team, agent_alice, lead_linda):
    _dispatch_queries(lead_linda, "warm-up: creates the robot and the team's lock row")
    small, d1 = _dispatch_queries(lead_linda, "宽带无法上网")
    english = Skill.objects.create(name="English")
    for i in range(12):
        agent = UserFactory(username=f"extra{i}", team=front_team, presence=Presence.ONLINE, capacity=50)
        agent.skills.add(english)
        for j in range(3):
            _ticket(100 * i + j, assignee=agent)
    large, d2 = _dispatch_queries(lead_linda, "宽带又断了")
    assert d1.outcome == d2.outcome == Outcome.ASSIGNED  # type: ignore[attr-defined]
    assert len(d2.candidates) == 13  # type: ignore[attr-defined]
    assert len(large) == len(small), "\n".join(large)
    # The robot's row is cached: after the warm-up only the context read and the lock (which excludes
    # the robot) name it; no separate robot lookup.
    assert sum(SYSTEM_USERNAME in q for q in large) <= 2, "\n".join(large)
