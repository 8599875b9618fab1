"""Pages, the portal points page and the API: access, the happy path, replays, and 4xx JSON with the field."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client, TestCase

from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.care import ledger
from kefu.care.access import points_token
from kefu.care.models import LoyaltyAccount, LoyaltyEntry
from kefu.conftest import login
from kefu.surveys.access import survey_token
from kefu.surveys.services import survey_answer
from kefu.surveys.tests.conftest import sent_survey  # noqa: F401  (a survey sent for customer_wang's ticket)

pytestmark = pytest.mark.django_db


def call(client: Client, method: str, url: str, user: User | None, body: Any = None, **headers: str) -> Any:
    if user is not None:
        _row, token = api_token_create(user=user, name="t")
        headers["Authorization"] = f"Bearer {token}"
    fn = getattr(client, method)
    if body is None:
        return fn(url, headers=headers)
    return fn(url, data=json.dumps(body), content_type="application/json", headers=headers)


def test_api_earn_replay_and_refusals(client, agent_alice, customer_wang, rules, mug):
    url = f"/api/v1/care/customers/{customer_wang.pk}/points/earn"
    body = {"kind": "amount", "amount": "360.00"}
    first = call(client, "post", url, agent_alice, body, **{"Idempotency-Key": "pos-20270310-1"})
    assert first.status_code == 201 and first.json()["points"] == 36
    again = call(client, "post", url, agent_alice, body, **{"Idempotency-Key": "pos-20270310-1"})
    assert again.status_code == 201 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    other = call(client, "post", url, agent_alice, {"kind": "visit"}, **{"Idempotency-Key": "pos-20270310-1"})
    assert other.status_code == 409 and other.json()["fields"].keys() == {"idempotency_key"}
    no_key = call(client, "post", url, agent_alice, body)
    assert no_key.status_code == 422 and no_key.json()["fields"].keys() == {"idempotency_key"}
    bad = call(client, "post", url, agent_alice, {"kind": "amount", "amount": "-1"}, **{"Idempotency-Key": "x"})
    assert bad.status_code == 422 and "amount" in json.dumps(bad.json()["fields"])
    spend_url = f"/api/v1/care/customers/{customer_wang.pk}/points/spend"
    spent = call(client, "post", spend_url, agent_alice, {"reward": mug.pk, "idempotency_key": "r-1"})
    assert spent.status_code == 201 and spent.json()["balance_after"] == 11
    broke = call(client, "post", spend_url, agent_alice, {"reward": mug.pk, "idempotency_key": "r-2"})
    assert broke.status_code == 409 and broke.json()["code"] == "care_insufficient_points" and "reward" in broke.json()["fields"]
    summary = call(client, "get", f"/api/v1/care/customers/{customer_wang.pk}/points", agent_alice).json()
    assert summary["balance"] == 11 and [e["kind"] for e in summary["entries"]] == ["spend", "earn"]
    assert call(client, "get", "/api/v1/care/customers/999999/points", agent_alice).status_code == 404
    assert call(client, "get", f"/api/v1/care/customers/{customer_wang.pk}/points", None).status_code == 401


def test_api_setup_and_preferences(client, agent_alice, lead_linda, customer_wang):
    assert call(client, "post", "/api/v1/care/rewards", agent_alice, {"name": "雨伞", "cost": 50}).status_code == 403
    assert call(client, "post", "/api/v1/care/rewards", lead_linda, {"name": "雨伞", "cost": 50}).status_code == 201
    r = call(client, "post", "/api/v1/care/rules", lead_linda, {"kind": "amount", "points": 1})
    assert r.status_code == 422 and r.json()["fields"].keys() == {"per_amount"}
    r = call(client, "post", "/api/v1/care/templates", lead_linda, {"occasion": "mid_autumn", "channel": "sms", "subject": "中秋", "body": "{name}，中秋快乐"})
    assert r.status_code == 201
    r = call(client, "post", "/api/v1/care/holidays", lead_linda, {"occasion": "spring_festival", "date": "2031-01-23"})
    assert r.status_code == 201
    days = call(client, "get", "/api/v1/care/holidays?year=2031", agent_alice).json()
    assert {"occasion": "spring_festival", "date": "2031-01-23"} in [{k: d[k] for k in ("occasion", "date")} for d in days]
    r = call(client, "patch", f"/api/v1/care/customers/{customer_wang.pk}/preferences", agent_alice, {"birthday": "1990-05-01", "care_opt_out": True})
    assert r.status_code == 200 and r.json() == {"customer_id": customer_wang.pk, "birthday": "1990-05-01", "care_opt_out": True}
    r = call(client, "patch", f"/api/v1/care/customers/{customer_wang.pk}/preferences", agent_alice, {"birthday": "2999-01-01"})
    assert r.status_code == 422 and r.json()["fields"].keys() == {"birthday"}
    r = call(client, "patch", f"/api/v1/care/customers/{customer_wang.pk}/preferences", agent_alice, {"birthday": "tomorrow"})
    assert r.status_code == 422


def test_the_customer_page_shows_points_and_takes_a_visit(client, agent_alice, customer_wang, rules, mug):
    login(client, agent_alice)
    page = client.get(f"/customers/{customer_wang.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="customer-care"' in html and "积分" in html
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)
    for _ in range(2):  # a double click: one visit
        r = client.post(f"/care/customers/{customer_wang.pk}/earn/", {"kind": "visit", "idempotency_key": key})
        assert r.status_code == 302
    assert LoyaltyAccount.objects.get(customer=customer_wang).balance == 10
    client.post(f"/care/customers/{customer_wang.pk}/prefs/", {"birthday": "1990-02-06"})
    customer_wang.refresh_from_db()
    assert str(customer_wang.birthday) == "1990-02-06" and not customer_wang.care_opt_out
    page = client.get(f"/customers/{customer_wang.pk}/").content.decode()
    assert "/care/p/" in page and "+10" in page


def test_the_care_desk_page(client, agent_alice, lead_linda, rules, mug):
    assert client.get("/care/").status_code == 302
    login(client, agent_alice)
    page = client.get("/care/").content.decode()
    assert "定制保温杯" in page and 'id="care-holidays"' in page and 'name="what"' not in page
    assert client.post("/care/", {"what": "reward", "name": "雨伞", "cost": "50"}).status_code == 403
    login(client, lead_linda)
    assert client.post("/care/", {"what": "reward", "name": "雨伞", "cost": "50"}).status_code == 302
    r = client.post("/care/", {"what": "rule", "kind": "amount", "points": "1", "valid_days": "365"})
    assert r.status_code == 422 and "errorlist" in r.content.decode()


def test_the_portal_points_page(client, agent_alice, customer_wang, rules, mug, wash):
    ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="amount", amount=Decimal("300"), idempotency_key="a")
    account = LoyaltyAccount.objects.get(customer=customer_wang)
    url = f"/care/p/{points_token(account)}/"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store" and "30" in html and "免费洗车券" in html
    assert "13812341234" not in html and "wang@example.com" not in html
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)
    for _ in range(2):  # submitted twice: one redemption
        assert client.post(url, {"reward": wash.pk, "idempotency_key": key}).status_code == 302
    account.refresh_from_db()
    assert account.balance == 20 and LoyaltyEntry.objects.filter(kind="spend").count() == 1
    r = client.post(url, {"reward": mug.pk, "idempotency_key": "other"})
    assert r.status_code == 409 and "不足" in r.content.decode() or r.status_code == 409
    assert client.get("/care/p/forged/").status_code == 404
    account.portal_key = "rotated"
    account.save(update_fields=["portal_key"])
    assert client.get(url).status_code == 404


def test_a_survey_answer_earns_points_after_commit(customer_wang, rules, sent_survey):  # noqa: F811
    with TestCase.captureOnCommitCallbacks(execute=True):
        survey_answer(token=survey_token(sent_survey), csat=5)
    entry = LoyaltyEntry.objects.get()
    assert (entry.account.customer_id, entry.earned_by, entry.points) == (customer_wang.pk, "survey", 5)
    assert entry.idempotency_key == f"sys:survey:{sent_survey.pk}"
