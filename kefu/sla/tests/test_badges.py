"""Queue badges that refresh themselves: the poller row of components/ticket_rows.html and the
`sla:badges` endpoint answering with htmx out-of-band swaps."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from kefu.conftest import login
from kefu.tests.factories import TicketFactory
from kefu.tickets.choices import Priority

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(text: str):
    return time_machine.travel(datetime.fromisoformat(text).replace(tzinfo=SH), tick=False)


@pytest.fixture
def urgent(agent_alice):
    # 紧急工单: first response 30 business minutes; created Tue 10 Mar 09:00.
    with at("2026-03-10 09:00"):
        return TicketFactory(actor=agent_alice, priority=Priority.URGENT, assignee=agent_alice)


def test_queue_rows_carry_badge_ids_and_one_poller(client, urgent, agent_alice):
    login(client, agent_alice)
    with at("2026-03-10 09:05"):
        html = client.get(reverse("tickets:queue") + "?scope=mine").content.decode()
    assert f'id="sla-badge-{urgent.pk}"' in html
    pollers = re.findall(r'<tr hidden data-sla-refresh hx-get="([^"]+)" hx-trigger="([^"]+)"', html)
    assert pollers == [(reverse("sla:badges") + f"?t={urgent.pk}", "every 60s, ticketUpdated from:body")]


def test_badges_count_down_and_change_colour(client, urgent, agent_alice):
    login(client, agent_alice)
    url = reverse("sla:badges") + f"?t={urgent.pk}"
    with at("2026-03-10 09:05"):
        first = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    with at("2026-03-10 09:45"):
        later = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<span id="sla-badge-{urgent.pk}" hx-swap-oob="true" class="badge sla-badge sla-ok"' in first
    assert "25m left" in first
    assert f'<span id="sla-badge-{urgent.pk}" hx-swap-oob="true" class="badge sla-badge sla-breached"' in later
    assert "overdue 15m" in later


def test_badges_only_for_visible_tickets(client, urgent, outsider_charlie):
    url = reverse("sla:badges") + f"?t={urgent.pk}"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    login(client, outsider_charlie)
    response = client.get(url)
    assert response.status_code == 200 and f"sla-badge-{urgent.pk}" not in response.content.decode()


def test_badges_bad_ids_are_a_400(client, agent_alice):
    login(client, agent_alice)
    response = client.get(reverse("sla:badges") + "?t=1&t=abc")
    assert response.status_code == 400


def test_badges_query_count_is_flat(client, agent_alice, django_assert_num_queries):
    with at("2026-03-10 09:00"):
        tickets = [TicketFactory(actor=agent_alice, assignee=agent_alice) for _ in range(6)]
    login(client, agent_alice)
    url = reverse("sla:badges") + "?" + "&".join(f"t={x.pk}" for x in tickets)
    client.get(url)  # warm the per-process configuration cache
    # session + user, the tickets, their TicketSla rows, the configuration token.
    with at("2026-03-10 09:30"), django_assert_num_queries(5):
        html = client.get(url).content.decode()
    assert html.count('hx-swap-oob="true"') == 6


def test_customer_page_shows_badges_on_first_paint(client, agent_alice, customer_wang):
    with at("2026-03-10 09:00"):
        ticket = TicketFactory(actor=agent_alice, assignee=agent_alice, customer=customer_wang)
    login(client, agent_alice)
    with at("2026-03-10 09:05"):
        html = client.get(reverse("customers:detail", args=[customer_wang.pk])).content.decode()
    badge = re.search(rf'<[^>]+id="sla-badge-{ticket.pk}"[^>]*>(.*?)</', html, re.S)
    assert badge is not None and "data-sla-level=" in badge.group(0)  # the countdown itself, not the "—" placeholder
    pollers = re.findall(r'<tr hidden data-sla-refresh hx-get="([^"]+)" hx-trigger="([^"]+)"', html)
    assert pollers == [(reverse("sla:badges") + f"?t={ticket.pk}", "every 60s, ticketUpdated from:body")]
