"""The ticket and presence services call dispatch themselves when automatic dispatch is on (the
product default; the shared test configuration switches it off for other apps' tests)."""

from __future__ import annotations

import pytest

from kefu.accounts.choices import Presence
from kefu.accounts.services import user_set_presence
from kefu.tests.factories import TicketFactory
from kefu.tickets.choices import TicketStatus
from kefu.tickets.services import ticket_change_status


@pytest.fixture(autouse=True)
def _auto_dispatch(settings):
    settings.KEFU_AUTO_DISPATCH = True


def test_intake_assigns_to_an_online_agent(lead_linda, agent_alice):
    t = TicketFactory(actor=lead_linda, title="宽带无法上网")
    assert t.assignee == agent_alice and t.status == TicketStatus.ASSIGNED
    assert t.owner == lead_linda  # first-contact ownership is not dispatch's to change


def test_ticket_waits_until_an_agent_comes_online(lead_linda, agent_alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user_set_presence(actor=agent_alice, user=agent_alice, presence=Presence.OFFLINE)
    t = TicketFactory(actor=lead_linda, title="发票开错了")
    assert t.assignee is None and t.status == TicketStatus.NEW
    with django_capture_on_commit_callbacks(execute=True):
        user_set_presence(actor=agent_alice, user=agent_alice, presence=Presence.ONLINE)
    t.refresh_from_db()
    assert t.assignee == agent_alice


def test_going_offline_returns_untouched_tickets(lead_linda, agent_alice, teammate_bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user_set_presence(actor=teammate_bob, user=teammate_bob, presence=Presence.OFFLINE)
    t = TicketFactory(actor=lead_linda, title="套餐变更")
    assert t.assignee == agent_alice
    with django_capture_on_commit_callbacks(execute=True):
        user_set_presence(actor=agent_alice, user=agent_alice, presence=Presence.OFFLINE)
    t.refresh_from_db()
    assert t.assignee is None and t.status == TicketStatus.NEW


def test_resolving_frees_capacity_for_the_queue(lead_linda, agent_alice, teammate_bob, django_capture_on_commit_callbacks):
    teammate_bob.presence = Presence.OFFLINE
    teammate_bob.save(update_fields=["presence"])
    agent_alice.capacity = 1
    agent_alice.save(update_fields=["capacity"])
    first = TicketFactory(actor=lead_linda, title="第一单")
    waiting = TicketFactory(actor=lead_linda, title="第二单")
    assert first.assignee == agent_alice and waiting.assignee is None
    with django_capture_on_commit_callbacks(execute=True):
        ticket_change_status(actor=agent_alice, number=first.number, status=TicketStatus.RESOLVED)
    waiting.refresh_from_db()
    assert waiting.assignee == agent_alice


def test_transfer_to_a_team_dispatches_there(lead_linda, agent_alice, outsider_charlie, aftersales_team, django_capture_on_commit_callbacks):
    from kefu.tickets.services import ticket_transfer

    with django_capture_on_commit_callbacks(execute=True):
        user_set_presence(actor=outsider_charlie, user=outsider_charlie, presence=Presence.ONLINE)
    t = TicketFactory(actor=lead_linda, title="需要上门维修")
    t = ticket_transfer(actor=agent_alice, number=t.number, to_team=aftersales_team, reason="售后上门")
    t.refresh_from_db()
    assert t.team == aftersales_team and t.assignee == outsider_charlie and t.owner == lead_linda
