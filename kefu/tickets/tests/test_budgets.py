"""Statement budgets of the ticket write paths, with SLA and automatic dispatch on (the product's
defaults). Every reaction an app adds lives inside these; a test fails when a path grows. The
statements are listed on failure, so the new one is easy to find.

Counted: everything one request runs after a warm-up request (the caches of configuration that
rarely changes are warm in a running server). The test runs inside a transaction, so the request's
own transaction shows as a SAVEPOINT/RELEASE pair: in production that pair is the BEGIN/COMMIT
which Django's capture does not list, so the counts are those of the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.customers.models import Customer
from kefu.tests.factories import TicketFactory
from kefu.tickets.choices import TicketStatus
from kefu.tickets.models import Ticket

# The budgets (statements per operation, the same on PostgreSQL and SQLite). Before the reactions
# (issue 13) they were, in the same measurement: 55, 47, 42, 21, 20, 35, 19 and 20; after them 33, 31,
# 26, 15, 15, 30, 14, 17. Then: the configuration tokens in one statement kept per request
# (kefu.core.tokens), the API's transaction joined without a savepoint, dispatch on a new ticket
# without one, reactions changing the new ticket's own row (reactions.live_row), the new ticket's
# timeline, tags and SLA rows kept in memory instead of read back, one read of the customer's history
# for dispatch; then the matched customer's phones read with the match (API create 19). Issue 13 aims at <= 12 for a create with SLA and dispatch: dispatch choosing the agent
# before the insert (one UPDATE and one event INSERT less) is the known next step (docs/benchmarks.md).
BUDGET = {
    "api_create": 19,  # the answer shows what is in hand (the customer's phones came with the match)
    "staff_create": 23,  # + session, user, the intake form's customer card
    "portal_create": 18,
    "public_reply": 15,
    "internal_note": 15,
    "transfer": 30,  # + dispatch's bounce check and the receiving team's agents
    "status_change": 14,
    "assignment": 17,
}


@pytest.fixture(autouse=True)
def _auto_dispatch(settings):
    settings.KEFU_AUTO_DISPATCH = True


@contextmanager
def budget(name: str, limits: dict[str, int] = BUDGET, what: str = "") -> Iterator[CaptureQueriesContext]:
    """The block runs at most limits[name] statements; `what` names the phase in the messages."""
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
    n = len(ctx.captured_queries)
    listing = "\n".join(f"{i + 1:>3}. {q['sql'][:160]}" for i, q in enumerate(ctx.captured_queries))
    print(f"{name}{what}: {n} statements\n{listing}")
    assert n <= limits[name], f"{name} ran {n} statements{what}, budget {limits[name]}:\n{listing}"


def _bearer(user: User) -> dict[str, str]:
    _row, token = api_token_create(user=user, name="budget")
    return {"Authorization": f"Bearer {token}"}


def _twice(run: Callable[[int], Any], name: str) -> Any:
    run(0)  # warm-up: token, the day's number row, configuration caches
    with budget(name):
        return run(1)


def test_api_create(client: Client, agent_alice: User, teammate_bob: User, customer_wang: Customer) -> None:
    headers = _bearer(agent_alice)

    def run(i: int) -> Any:
        body = {"title": f"宽带无法上网 {i}", "customer": {"phone": "13812341234"}, "tags": ["宽带"]}
        r = client.post("/api/v1/tickets/", data=body, content_type="application/json", headers=headers)
        assert r.status_code == 201, r.content
        return r.json()

    data = _twice(run, "api_create")
    ticket = Ticket.objects.get(number=data["number"])
    assert ticket.assignee_id in (agent_alice.pk, teammate_bob.pk)  # dispatched on the way in


def test_staff_create(client: Client, agent_alice: User, teammate_bob: User, customer_wang: Customer) -> None:
    client.force_login(agent_alice)

    def run(i: int) -> Any:
        r = client.post(reverse("tickets:new"), {
            "title": f"发票开错了 {i}", "description": "请重开", "kind": "inquiry", "channel": "phone",
            "priority": "normal", "customer_id": customer_wang.pk, "phone": "13812341234", "assign": "team",
        })
        assert r.status_code in (302, 204), r.content.decode()[:2000]
        return r

    _twice(run, "staff_create")


def test_portal_create(client: Client, agent_alice: User, front_team: Any) -> None:
    def run(i: int) -> Any:
        r = client.post(reverse("portal:submit"), {
            "name": "王先生", "phone": "13912345678", "kind": "inquiry", "title": f"快递没到 {i}", "description": "三天了",
        })
        assert r.status_code == 302, r.content.decode()[:2000]
        return r

    _twice(run, "portal_create")


@pytest.fixture
def open_tickets(agent_alice: User, customer_wang: Customer) -> list[Ticket]:
    return [TicketFactory(actor=agent_alice, assignee=agent_alice, customer=customer_wang) for _ in range(2)]


def test_public_reply(client: Client, agent_alice: User, open_tickets: list[Ticket]) -> None:
    client.force_login(agent_alice)

    def run(i: int) -> Any:
        r = client.post(reverse("tickets:reply", args=[open_tickets[i].number]), {"kind": "reply", "body": "您好，已处理"})
        assert r.status_code == 302, r.content.decode()[:2000]

    _twice(run, "public_reply")


def test_internal_note(client: Client, agent_alice: User, open_tickets: list[Ticket]) -> None:
    client.force_login(agent_alice)

    def run(i: int) -> Any:
        r = client.post(reverse("tickets:reply", args=[open_tickets[i].number]), {"kind": "note", "body": "内部备注"})
        assert r.status_code == 302, r.content.decode()[:2000]

    _twice(run, "internal_note")


def test_transfer(client: Client, agent_alice: User, open_tickets: list[Ticket], aftersales_team: Any, outsider_charlie: User) -> None:
    client.force_login(agent_alice)

    def run(i: int) -> Any:
        r = client.post(reverse("tickets:transfer", args=[open_tickets[i].number]), {"to_team": aftersales_team.pk, "reason": "售后问题"})
        assert r.status_code == 302, r.content.decode()[:2000]

    _twice(run, "transfer")


def test_status_change(client: Client, agent_alice: User, open_tickets: list[Ticket]) -> None:
    client.force_login(agent_alice)

    def run(i: int) -> Any:
        r = client.post(reverse("tickets:status", args=[open_tickets[i].number]), {"status": TicketStatus.IN_PROGRESS})
        assert r.status_code == 302, r.content.decode()[:2000]

    _twice(run, "status_change")


def test_assignment(client: Client, lead_linda: User, teammate_bob: User, open_tickets: list[Ticket]) -> None:
    client.force_login(lead_linda)

    def run(i: int) -> Any:
        r = client.post(reverse("tickets:assign", args=[open_tickets[i].number]), {"assignee": teammate_bob.pk})
        assert r.status_code == 302, r.content.decode()[:2000]

    _twice(run, "assignment")


# --- after commit ----------------------------------------------------------------------------------
# The reactions that run once the change committed (pushes, triage, complaint counters, channel
# replies ...) cost the server as much as the create itself; their statements are pinned here too.
# Counted as the callbacks run after the request's transaction, outside a request (the configuration
# token statement is read again there; inside a server's request it is kept from the create).
AFTER_COMMIT_BUDGET = {
    "api_create": 1,  # the token statement; triage without an active model and the pushes read nothing
    "api_create_complaint": 14,  # complaints.count (record, 3 counters, warning check), joint_task's reads
    "public_reply": 2,  # channels.send_reply: the message, the channel's contact
}


def _after_commit(run: Callable[[int], Any], name: str, capture: Any) -> Any:
    with capture(execute=True):
        run(0)  # warm-up, its after-commit work included
    with capture(execute=False) as callbacks:
        result = run(1)
    assert callbacks, "the change registered no after-commit work"
    with budget(name, AFTER_COMMIT_BUDGET, " after commit"):
        for callback in callbacks:
            callback()
    return result


@pytest.mark.parametrize("kind", ["inquiry", "complaint"])
def test_api_create_after_commit(
    client: Client, agent_alice: User, teammate_bob: User, customer_wang: Customer, kind: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    headers = _bearer(agent_alice)

    def run(i: int) -> Any:
        body = {"title": f"宽带无法上网 {i}", "kind": kind, "customer": {"phone": "13812341234"}, "tags": ["宽带"]}
        r = client.post("/api/v1/tickets/", data=body, content_type="application/json", headers=headers)
        assert r.status_code == 201, r.content
        return r.json()

    _after_commit(run, "api_create" if kind == "inquiry" else "api_create_complaint", django_capture_on_commit_callbacks)


def test_public_reply_after_commit(
    client: Client, agent_alice: User, open_tickets: list[Ticket], django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(agent_alice)

    def run(i: int) -> Any:
        r = client.post(reverse("tickets:reply", args=[open_tickets[i].number]), {"kind": "reply", "body": "您好，已处理"})
        assert r.status_code == 302, r.content.decode()[:2000]

    _after_commit(run, "public_reply", django_capture_on_commit_callbacks)
