"""The pages: who sees which, the redeem → approve flow by form posts, Chinese messages."""

from __future__ import annotations

import pytest

from kefu.conftest import login
from kefu.points import selectors
from kefu.points.models import Redemption
from kefu.points.tests.conftest import give

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_log_in(client) -> None:
    r = client.get("/points/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_every_page_renders_for_its_people(client, agent_alice, lead_linda, manager_mike, gift) -> None:
    give(agent_alice, 12, lead_linda)
    login(client, agent_alice)
    page = client.get("/points/").content.decode()
    assert "我的积分" in page and "保温杯" in page and 'data-points-balance>12<' in page
    assert client.get("/points/suggestions/").status_code == 200
    assert client.get("/points/star/").status_code == 200
    assert client.get("/points/approvals/").status_code == 404
    assert client.get("/points/catalogue/").status_code == 404
    assert client.get(f"/points/agents/{lead_linda.pk}/").status_code == 404
    login(client, lead_linda)
    assert client.get("/points/approvals/").status_code == 200
    assert client.get(f"/points/agents/{agent_alice.pk}/").status_code == 200
    login(client, manager_mike)
    assert "兑换目录" in client.get("/points/catalogue/").content.decode()
    assert client.get("/points/star/?month=garbage").status_code == 200


def test_redeem_and_approve_by_form(client, agent_alice, lead_linda, gift) -> None:
    give(agent_alice, 10, lead_linda)
    login(client, agent_alice)
    r = client.post("/points/redeem/", {"item": gift.pk}, follow=True)
    assert "已提交审批" in r.content.decode()
    r = client.post("/points/redeem/", {"item": gift.pk}, follow=True)
    assert "积分不足" in r.content.decode()
    red = Redemption.objects.get()
    login(client, lead_linda)
    r = client.post(f"/points/redemptions/{red.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "已批准" in r.content.decode()
    assert selectors.balance_of(agent_alice.pk) == 0


def test_a_suggestion_by_form(client, agent_alice, lead_linda) -> None:
    login(client, agent_alice)
    r = client.post("/points/suggestions/", {"title": "", "body": ""})
    assert r.status_code == 422
    client.post("/points/suggestions/", {"title": "改进", "body": "内容"})
    login(client, lead_linda)
    sid = selectors.suggestions_visible_to(lead_linda).get().pk
    client.post(f"/points/suggestions/{sid}/adopt/", {"note": ""})
    assert selectors.balance_of(agent_alice.pk) == 10
