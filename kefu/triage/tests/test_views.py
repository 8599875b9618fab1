from __future__ import annotations

import pytest

from kefu.conftest import login
from kefu.tests.factories import TicketFactory
from kefu.triage.choices import Field, Mode, State
from kefu.triage.models import TriageFeedback, TriagePolicy, TriageSuggestion
from kefu.triage.tests.conftest import on_commit

pytestmark = pytest.mark.django_db


def _new(actor, title: str, description: str = ""):
    with on_commit():
        return TicketFactory(actor=actor, title=title, description=description)


def test_the_ticket_page_loads_the_panel_which_shows_suggestions_and_accepts(client, trained, agent_alice, categories) -> None:
    ticket = _new(agent_alice, "快递一直没有送到", "物流信息不更新")
    login(client, agent_alice)
    page = client.get(f"/tickets/{ticket.number}/")
    assert page.status_code == 200 and f"/triage/tickets/{ticket.number}/" in page.content.decode()
    panel = client.get(f"/triage/tickets/{ticket.number}/", HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert panel.status_code == 200 and 'id="triage-panel"' in html and "物流" in html and "采纳" in html
    s = TriageSuggestion.objects.get(ticket=ticket, field=Field.CATEGORY)
    r = client.post(f"/triage/suggestions/{s.pk}/", {"action": "accept", "number": ticket.number}, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and "ticketUpdated" in r["HX-Trigger"]
    ticket.refresh_from_db()
    assert ticket.category == categories["物流"] and TriageFeedback.objects.filter(accepted=True).count() == 1
    again = client.post(f"/triage/suggestions/{s.pk}/", {"action": "accept", "number": ticket.number}, HTTP_HX_REQUEST="true")
    assert again.status_code == 422 and "已处理" in again.content.decode()


def test_the_panel_is_404_for_an_outsider_and_bad_input_is_no_500(client, trained, agent_alice, outsider_charlie) -> None:
    ticket = _new(agent_alice, "快递一直没有送到")
    s = TriageSuggestion.objects.filter(ticket=ticket).first()
    login(client, outsider_charlie)
    assert client.get(f"/triage/tickets/{ticket.number}/").status_code == 404
    assert client.post(f"/triage/suggestions/{s.pk}/", {"action": "accept"}).status_code == 404
    login(client, agent_alice)
    assert client.post(f"/triage/suggestions/{s.pk}/", {"action": "explode", "number": ticket.number}).status_code == 422
    assert client.post("/triage/suggestions/999999/", {"action": "accept"}).status_code == 404


def test_the_figures_page_for_leads_and_managers_only(client, trained, agent_alice, lead_linda, manager_mike) -> None:
    login(client, agent_alice)
    assert client.get("/triage/").status_code == 403
    login(client, lead_linda)
    html = client.get("/triage/").content.decode()
    assert "v1" in html and "混淆矩阵" in html and "宽带" in html and "准确率" in html
    assert 'action="/triage/policy/"' not in html  # reads, does not change
    assert client.post("/triage/train/").status_code == 403
    login(client, manager_mike)
    r = client.post("/triage/policy/", {"field": "category", "mode": "auto", "threshold": "0.95"})
    assert r.status_code == 302
    p = TriagePolicy.objects.get(field="category")
    assert p.mode == Mode.AUTO and p.threshold == 0.95
    bad = client.post("/triage/policy/", {"field": "category", "mode": "auto", "threshold": "7"})
    assert bad.status_code == 422 and "0.5" in bad.content.decode()
    assert client.post("/triage/train/").status_code == 302
    assert "v2" in client.get("/triage/").content.decode()


def test_try_a_text(client, trained, lead_linda) -> None:
    login(client, lead_linda)
    r = client.post("/triage/try/", {"text": "宽带无法上网，光猫红灯"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and 'id="triage-try"' in html and "宽带" in html and "<html" not in html
    assert client.post("/triage/try/", {"text": ""}, HTTP_HX_REQUEST="true").status_code == 422


def test_dismiss_from_the_page(client, trained, agent_alice) -> None:
    ticket = _new(agent_alice, "快递一直没有送到")
    s = TriageSuggestion.objects.get(ticket=ticket, field=Field.CATEGORY)
    login(client, agent_alice)
    r = client.post(f"/triage/suggestions/{s.pk}/", {"action": "dismiss", "number": ticket.number})
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.state == State.DISMISSED


def test_the_dispatch_board_shows_the_waiting_tickets_suggestions_and_accepts(
    client, trained, lead_linda, front_team, outsider_charlie, categories
) -> None:
    with on_commit():
        ticket = TicketFactory(actor=lead_linda, title="快递一直没有送到", description="物流信息不更新", team=front_team)
    assert ticket.assignee_id is None
    login(client, lead_linda)
    board = client.get(f"/dispatch/?team={front_team.pk}").content.decode()
    assert f"/triage/board/?team={front_team.pk}" in board
    part = client.get(f"/triage/board/?team={front_team.pk}", HTTP_HX_REQUEST="true").content.decode()
    assert ticket.number in part and "物流" in part and "采纳" in part
    s = TriageSuggestion.objects.get(ticket=ticket, field=Field.CATEGORY)
    r = client.post(f"/triage/suggestions/{s.pk}/", {"action": "accept", "number": ticket.number}, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and "ticketUpdated" in r["HX-Trigger"]
    ticket.refresh_from_db()
    assert ticket.category == categories["物流"]
    # Another team's member sees none of it; a bad team is a 404, not a 500.
    login(client, outsider_charlie)
    assert ticket.number not in client.get(f"/triage/board/?team={front_team.pk}").content.decode()
    assert client.get("/triage/board/?team=x").status_code == 404
