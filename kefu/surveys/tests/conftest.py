from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import TestCase

from kefu.surveys.models import Survey
from kefu.surveys.services import survey_dispatch, survey_schedule_for_ticket
from kefu.tests.factories import TicketFactory
from kefu.tickets.choices import TicketStatus
from kefu.tickets.services import ticket_change_status


def on_commit():
    return TestCase.captureOnCommitCallbacks(execute=True)


def resolve(actor, ticket) -> Survey | None:
    """What the lead's hook will do: resolve, then schedule (here after the ticket service)."""
    ticket_change_status(actor=actor, number=ticket.number, status=TicketStatus.RESOLVED)
    return survey_schedule_for_ticket(ticket_id=ticket.pk)


def send(survey: Survey) -> Survey:
    survey.refresh_from_db()
    assert survey.send_due_at is not None
    # Sending is enqueued on commit; run those callbacks as a real commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert survey_dispatch(survey_id=survey.pk, due_at=survey.send_due_at)
    survey.refresh_from_db()
    return survey


@pytest.fixture
def sent_survey(agent_alice, customer_wang, lead_linda, category_billing) -> Survey:
    ticket = TicketFactory(actor=agent_alice, customer=customer_wang, category=category_billing, channel="email")
    survey = resolve(agent_alice, ticket)
    assert survey is not None
    return send(survey)


class _Gateway(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway(settings) -> Iterator[type[_Gateway]]:
    """A stand-in for the SMS / WeChat gateway on 127.0.0.1 (the outside world)."""
    handler = type("Gateway", (_Gateway,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/send"
    settings.KEFU_SMS_GATEWAY_URL = url
    settings.KEFU_WECHAT_GATEWAY_URL = url
    yield handler
    server.shutdown()
    server.server_close()
