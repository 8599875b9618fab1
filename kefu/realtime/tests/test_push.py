"""Ticket facts reach the agents' sockets after commit (in-memory layer, real consumers)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from kefu.asgi import application
from kefu.tests.factories import TicketFactory
from kefu.tickets.services import ticket_change_priority

pytestmark = pytest.mark.django_db(transaction=True)


def _socket(user) -> WebsocketCommunicator:  # type: ignore[no-untyped-def]
    comm = WebsocketCommunicator(application, "/ws/push/", headers=[(b"origin", b"http://testserver")])
    comm.scope["user"] = user
    return comm


async def _next(comm: WebsocketCommunicator, kind: str) -> dict:
    for _i in range(20):
        data = await comm.receive_json_from(timeout=5)
        if data["type"] == kind:
            return data
    raise AssertionError(kind)


def test_new_ticket_in_my_queue_and_updated_by_someone_else(agent_alice, lead_linda, outsider_charlie):
    async def scenario() -> None:
        alice, charlie = _socket(agent_alice), _socket(outsider_charlie)
        assert (await alice.connect())[0] and (await charlie.connect())[0]
        await _next(alice, "hello")
        await _next(charlie, "hello")
        ticket = await database_sync_to_async(TicketFactory)(actor=lead_linda, assignee=agent_alice)
        queued = await _next(alice, "ticket.queued")
        assert queued["number"] == ticket.number and queued["actor"] == lead_linda.pk

        await alice.send_json_to({"type": "subscribe", "topic": f"ticket.{ticket.pk}"})
        assert (await _next(alice, "subscribed"))["topic"] == f"ticket.{ticket.pk}"
        await charlie.send_json_to({"type": "subscribe", "topic": f"ticket.{ticket.pk}"})
        assert (await _next(charlie, "refused"))["topic"] == f"ticket.{ticket.pk}"  # not his team's

        await database_sync_to_async(ticket_change_priority)(actor=lead_linda, number=ticket.number, priority="high")
        updated = await _next(alice, "ticket.updated")
        assert (updated["ticket"], updated["actor"]) == (ticket.pk, lead_linda.pk)
        assert await charlie.receive_nothing(timeout=0.3)
        await alice.disconnect()
        await charlie.disconnect()

    async_to_sync(scenario)()
