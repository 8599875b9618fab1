from __future__ import annotations

import pytest

from kefu.conftest import login
from kefu.dispatch import config
from kefu.dispatch.models import CategoryRule, TicketDispatch
from kefu.dispatch.services import rules_install_defaults
from kefu.tests.factories import CategoryFactory
from kefu.tickets.choices import TicketKind

pytestmark = pytest.mark.django_db


def test_board_needs_login_and_a_lead(client, agent_alice, lead_linda):
    r = client.get("/dispatch/")
    assert r.status_code == 302
    assert login(client, agent_alice).get("/dispatch/").status_code == 404
    r = login(client, lead_linda).get("/dispatch/")
    assert r.status_code == 200 and "一线客服" in r.content.decode()


def test_board_shows_queue_agents_flags(client, mk, front_team, agent_alice, lead_linda, django_assert_max_num_queries):
    rules_install_defaults()
    agent_alice.capacity = 0
    agent_alice.save(update_fields=["capacity"])
    waiting, _ = mk(lead_linda, title="排队的工单")
    flagged, _ = mk(lead_linda, title="要曝光你们", kind=TicketKind.COMPLAINT)
    login(client, lead_linda)
    for _ in range(3):
        mk(lead_linda)
    with django_assert_max_num_queries(14):
        r = client.get("/dispatch/")
    html = r.content.decode()
    assert waiting.number in html and flagged.number in html and agent_alice.name in html
    r = client.get("/dispatch/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="dispatch-board")
    assert r.status_code == 200 and "<html" not in r.content.decode() and 'id="dispatch-board"' in r.content.decode()


def test_drain_button(client, mk, front_team, agent_alice, lead_linda):
    agent_alice.capacity = 0
    agent_alice.save(update_fields=["capacity"])
    t, _ = mk(lead_linda)
    agent_alice.capacity = 5
    agent_alice.save(update_fields=["capacity"])
    login(client, lead_linda)
    r = client.post(f"/dispatch/teams/{front_team.pk}/drain/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "HX-Trigger" in r
    t.refresh_from_db()
    assert t.assignee == agent_alice
    assert client.post(f"/dispatch/teams/{front_team.pk}/drain/").status_code == 302


def test_rules_page_and_preview(client, front_team, agent_alice, lead_linda, manager_mike):
    rules_install_defaults()
    assert login(client, agent_alice).get("/dispatch/rules/").status_code == 403
    login(client, manager_mike)
    r = client.get("/dispatch/rules/")
    assert r.status_code == 200 and "12315" in r.content.decode()
    r = client.post("/dispatch/rules/preview/", {"text": "我要打12315", "kind": "complaint", "channel": "phone", "priority": "normal"},
                    HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html and 'id="dispatch-preview"' in html and "12315" in html
    r = client.post("/dispatch/rules/preview/", {"text": "你好", "kind": "inquiry", "channel": "web", "priority": "low", "vip": "on"})
    assert r.status_code == 200 and "<html" in r.content.decode()
    r = client.post("/dispatch/rules/preview/", {"text": ""}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422


def test_team_mode(client, front_team, lead_linda, manager_mike):
    r = login(client, lead_linda).post("/dispatch/rules/mode/", {"team": front_team.pk, "mode": "manual"})
    assert r.status_code == 403
    r = login(client, manager_mike).post("/dispatch/rules/mode/", {"team": front_team.pk, "mode": "manual"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 204
    front_team.refresh_from_db()
    assert front_team.assignment_mode == "manual"


def test_ticket_panel_and_suggestion(client, mk, agent_alice, lead_linda, outsider_charlie):
    cat = CategoryFactory(name="退款")
    CategoryRule.objects.create(category=cat, keywords=["退款"])
    config.rules_changed()
    ticket, _ = mk(lead_linda, title="退款问题")
    assert login(client, outsider_charlie).get(f"/dispatch/tickets/{ticket.number}/").status_code == 404
    login(client, agent_alice)
    r = client.get(f"/dispatch/tickets/{ticket.number}/", HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and 'id="dispatch-panel"' in html and "退款" in html and "<html" not in html
    r = client.post(f"/dispatch/tickets/{ticket.number}/suggestion/", {"action": "accept"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and "ticketUpdated" in r["HX-Trigger"]
    assert TicketDispatch.objects.get(ticket=ticket).suggestion_state == "accepted"
    r = client.post(f"/dispatch/tickets/{ticket.number}/suggestion/", {"action": "accept"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422
    r = client.post(f"/dispatch/tickets/{ticket.number}/suggestion/", {"action": "bogus"})
    assert r.status_code == 422
    assert client.post("/dispatch/tickets/GD0/suggestion/", {"action": "accept"}).status_code == 404


def test_nav_entry_for_leads_only(client, agent_alice, lead_linda):
    html = login(client, lead_linda).get("/dispatch/").content.decode()
    assert 'href="/dispatch/"' in html
    client.logout()
    r = login(client, agent_alice).get("/tickets/")
    assert 'href="/dispatch/"' not in r.content.decode()
