from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.customers.models import Customer
from kefu.tests.factories import CategoryFactory, TicketFactory
from kefu.tickets.models import IdempotencyKey, Ticket, TicketMessage

URL = "/api/v1/tickets/"


def bearer(user: User) -> dict[str, str]:
    _row, token = api_token_create(user=user, name="test")
    return {"Authorization": f"Bearer {token}"}


def call(client: Client, method: str, url: str, user: User | None, body: Any = None, **headers: str) -> Any:
    hdrs = {**(bearer(user) if user else {}), **headers}
    if body is None:
        return getattr(client, method)(url, headers=hdrs)
    return getattr(client, method)(url, data=body, content_type="application/json", headers=hdrs)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    data = response.json()
    assert set(data) == {"code", "message", "fields"}
    assert data["code"] == code
    assert isinstance(data["message"], str) and data["message"]
    return data


def raw_cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# --- auth and the API's own pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", URL), ("post", URL), ("get", URL + "GD20260101-000001"), ("get", URL + "GD20260101-000001/timeline")],
)
def test_anonymous_gets_401(client, db, method, url):
    response = call(client, method, url, None, body={} if method == "post" else None)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("token", ["nope", "kefu_forged", "", "kefu_\u4e2d"])
def test_bad_token_gets_401(client, agent_alice, token):
    response = client.get(URL, headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, "unauthorized")


def test_revoked_and_inactive_tokens_get_401(client, agent_alice):
    from kefu.accounts.services import api_token_revoke

    row, token = api_token_create(user=agent_alice)
    api_token_revoke(actor=agent_alice, token_id=row.pk)
    assert_error(client.get(URL, headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized")
    _row, token2 = api_token_create(user=agent_alice)
    User.objects.filter(pk=agent_alice.pk).update(is_active=False)
    assert_error(client.get(URL, headers={"Authorization": f"Bearer {token2}"}), 401, "unauthorized")


def test_openapi_and_docs_load_without_auth(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in (
        "/api/v1/tickets/",
        "/api/v1/tickets/{number}",
        "/api/v1/tickets/{number}/messages",
        "/api/v1/tickets/{number}/assign",
        "/api/v1/tickets/{number}/transfer",
        "/api/v1/tickets/{number}/status",
        "/api/v1/tickets/{number}/timeline",
        "/api/v1/customers/",
        "/api/v1/customers/{customer_id}",
        "/api/v1/me",
        "/api/v1/me/presence",
    ):
        assert path in paths, path
    assert "BearerAuth" in schema["components"]["securitySchemes"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    # Served from our own static files: the product works offline and under the strict CSP.
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content
    assert b"cdn." not in docs.content


def test_create_query_count(client, agent_alice, customer_wang, django_assert_max_num_queries):
    headers = bearer(agent_alice)
    body = {"title": "x", "customer": {"phone": "13812341234"}, "tags": ["a"]}
    # Warm up: token lookup, the day's number sequence row and the SLA configuration cache.
    client.post(URL, data=body, content_type="application/json", headers=headers)
    # Pinned so the intake path (the one under load in benchmarks) does not quietly grow: the ticket
    # with its customer, tag and event, plus the SLA recompute (policy match, timeline, targets).
    with django_assert_max_num_queries(27):  # +2: the `sla` of the answer (TicketSla rows, config token)
        response = client.post(URL, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 201


def test_unknown_path_and_method_answer_json(client, agent_alice):
    assert_error(call(client, "get", "/api/v1/nothing/here", agent_alice), 404, "not_found")
    response = call(client, "delete", URL, agent_alice)
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


# --- create -------------------------------------------------------------------------------------------------


def test_create_minimal(client, agent_alice, front_team):
    response = call(client, "post", URL, agent_alice, {"title": "宽带无法上网"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"].startswith("GD")
    assert data["status"] == "new"
    assert data["channel"] == "api"
    assert data["priority"] == "normal"
    assert data["team"] == {"id": front_team.pk, "name": "一线客服"}
    assert data["owner"] == {"username": "alice", "name": "艾丽丝"}
    assert data["assignee"] is None
    assert data["customer"] is None
    assert data["url"] == f"/tickets/{data['number']}/"
    # Times carry their offset (UTC).
    assert data["created_at"].endswith(("Z", "+00:00"))
    assert response.headers.get("Idempotent-Replayed") is None


def test_create_full(client, lead_linda, teammate_bob, front_team, category_billing):
    body = {
        "title": "账单多扣费",
        "description": "客户说本月多扣了 30 元",
        "kind": "complaint",
        "channel": "phone",
        "priority": "high",
        "category_id": category_billing.pk,
        "team_id": front_team.pk,
        "assignee": "bob",
        "tags": ["扣费", "复诉"],
        "contact_phone": "+86 139-0000-1111",
        "customer": {"name": "李四", "phone": "13900001111", "email": "li@example.com"},
    }
    response = call(client, "post", URL, lead_linda, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kind"] == "complaint"
    assert data["priority"] == "high"
    assert data["status"] == "assigned"
    assert data["category"] == {"id": category_billing.pk, "name": "账单"}
    assert data["assignee"]["username"] == "bob"
    assert sorted(data["tags"]) == ["复诉", "扣费"]
    assert data["customer"]["name"] == "李四"
    # the lead may not see contacts: masked everywhere.
    assert data["customer"]["phone"] == "139****1111"
    assert data["contact_phone"] == "139****1111"
    ticket = Ticket.objects.get(number=data["number"])
    assert ticket.contact_phone == "13900001111"


def test_inline_customer_matches_existing_by_phone(client, agent_alice, customer_wang):
    before = Customer.objects.count()
    response = call(
        client, "post", URL, agent_alice, {"title": "查询话费", "customer": {"name": "王", "phone": "+86 138 1234 1234"}}
    )
    assert response.status_code == 201, response.content
    assert response.json()["customer"]["id"] == customer_wang.pk
    assert Customer.objects.count() == before


@pytest.mark.parametrize("identity", [{"email": "WANG@example.com"}, {"external_id": "CRM-1"}])
def test_inline_customer_matches_by_email_or_external_id(client, agent_alice, customer_wang, identity):
    Customer.objects.filter(pk=customer_wang.pk).update(external_id="CRM-1")
    response = call(client, "post", URL, agent_alice, {"title": "查询", "customer": identity})
    assert response.json()["customer"]["id"] == customer_wang.pk


def test_inline_customer_created_when_unknown(client, agent_alice, tier_normal):
    response = call(
        client, "post", URL, agent_alice, {"title": "新客户", "customer": {"name": "赵六", "external_id": "X-9"}}
    )
    assert response.status_code == 201
    customer = Customer.objects.get(external_id="X-9")
    assert response.json()["customer"] == {
        "id": customer.pk, "name": "赵六", "tier": "普通", "is_vip": False, "phone": ""
    }


def test_create_with_customer_id(client, agent_alice, customer_wang):
    response = call(client, "post", URL, agent_alice, {"title": "x", "customer": {"id": customer_wang.pk}})
    assert response.json()["customer"]["id"] == customer_wang.pk
    data = assert_error(
        call(client, "post", URL, agent_alice, {"title": "x", "customer": {"id": 999999}}), 400, "customer_not_found"
    )
    assert "customer.id" in data["fields"]


def test_create_customer_id_and_details_together_is_422(client, agent_alice, customer_wang):
    data = assert_error(
        call(client, "post", URL, agent_alice, {"title": "x", "customer": {"id": customer_wang.pk, "phone": "1380000"}}),
        422,
        "validation_error",
    )
    assert "customer" in data["fields"]


def test_create_customer_without_identity(client, agent_alice):
    data = assert_error(
        call(client, "post", URL, agent_alice, {"title": "x", "customer": {"name": "无名"}}),
        400,
        "customer_identity_required",
    )
    assert "customer" in data["fields"]


def test_create_bad_phone(client, agent_alice):
    data = assert_error(
        call(client, "post", URL, agent_alice, {"title": "x", "customer": {"phone": "call me"}}), 400, "invalid_phone"
    )
    assert "customer.phone" in data["fields"]
    data = assert_error(call(client, "post", URL, agent_alice, {"title": "x", "contact_phone": "abc"}), 400, "invalid_phone")
    assert "contact_phone" in data["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": 42}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "a\x00b"}, "title"),
        ({"title": "x", "kind": "bogus"}, "kind"),
        ({"title": "x", "priority": "urgentest"}, "priority"),
        ({"title": "x", "channel": "fax"}, "channel"),
        ({"title": "x", "category_id": 2**70}, "category_id"),
        ({"title": "x", "team_id": -1}, "team_id"),
        ({"title": "x", "tags": "not-a-list"}, "tags"),
        ({"title": "x", "tags": ["t"] * 21}, "tags"),
        ({"title": "x", "customer": {"phone": 13800000000}}, "customer.phone"),
        ({"title": "x", "customer": {"email": "not-an-email"}}, "customer.email"),
        ({"title": "x", "customer": "wang"}, "customer"),
        ({"title": "x", "assigne": "bob"}, "assigne"),
    ],
)
def test_create_validation_errors(client, agent_alice, body, field):
    data = assert_error(call(client, "post", URL, agent_alice, body), 422, "validation_error")
    assert field in data["fields"], data
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("raw", ["{bad json", "title=x", "\xff\xfe"])
def test_create_malformed_body(client, agent_alice, raw):
    response = client.post(URL, data=raw, content_type="application/json", headers=bearer(agent_alice))
    assert_error(response, 400, "invalid_json")


@pytest.mark.parametrize("raw", ["null", "[1, 2]", '"title"', ""])
def test_create_body_not_an_object(client, agent_alice, raw):
    response = client.post(URL, data=raw, content_type="application/json", headers=bearer(agent_alice))
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"team_id": 999999}, "team_not_found", "team_id"),
        ({"category_id": 999999}, "category_not_found", "category_id"),
        ({"assignee": "nobody"}, "user_not_found", "assignee"),
    ],
)
def test_create_unknown_references(client, agent_alice, body, code, field):
    data = assert_error(call(client, "post", URL, agent_alice, {"title": "x", **body}), 400, code)
    assert field in data["fields"]


def test_create_blank_title_is_refused_by_service(client, agent_alice):
    data = assert_error(call(client, "post", URL, agent_alice, {"title": "   "}), 400, "title_required")
    assert data["fields"] == {"title": [data["fields"]["title"][0]]}


def test_create_inactive_category(client, agent_alice):
    cat = CategoryFactory(name="停用")
    type(cat).objects.filter(pk=cat.pk).update(is_active=False)
    assert_error(call(client, "post", URL, agent_alice, {"title": "x", "category_id": cat.pk}), 400, "category_inactive")


def test_qa_may_not_create_and_leaves_no_customer(client, qa_quinn, tier_normal):
    response = call(client, "post", URL, qa_quinn, {"title": "x", "customer": {"phone": "13700000000"}})
    assert_error(response, 403, "customer_forbidden")
    assert not Customer.objects.exists()
    assert not Ticket.objects.exists()


# --- idempotency --------------------------------------------------------------------------------------------


def test_idempotent_retry_returns_first_ticket(client, agent_alice, tier_normal):
    body = {"title": "断网", "customer": {"name": "周七", "phone": "13600000000"}, "tags": ["网络"]}
    first = call(client, "post", URL, agent_alice, body, **{"Idempotency-Key": "req-1"})
    second = call(client, "post", URL, agent_alice, body, **{"Idempotency-Key": "req-1"})
    assert first.status_code == second.status_code == 201
    assert first.headers.get("Idempotent-Replayed") is None
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["number"] == second.json()["number"]
    assert Ticket.objects.count() == 1
    assert Customer.objects.count() == 1
    # Defaults spelled out are the same request.
    third = call(client, "post", URL, agent_alice, {**body, "priority": "normal"}, **{"Idempotency-Key": "req-1"})
    assert third.json()["number"] == first.json()["number"]


def test_idempotency_key_with_another_payload_is_409(client, agent_alice, tier_normal):
    call(client, "post", URL, agent_alice, {"title": "断网"}, **{"Idempotency-Key": "req-2"})
    response = call(
        client, "post", URL, agent_alice, {"title": "另一件事", "customer": {"phone": "13500000000"}},
        **{"Idempotency-Key": "req-2"},
    )
    assert_error(response, 409, "idempotency_key_reused")
    assert Ticket.objects.count() == 1
    # The refused request left no customer behind.
    assert not Customer.objects.exists()


def test_idempotency_keys_are_per_user(client, agent_alice, teammate_bob):
    a = call(client, "post", URL, agent_alice, {"title": "x"}, **{"Idempotency-Key": "same"})
    b = call(client, "post", URL, teammate_bob, {"title": "x"}, **{"Idempotency-Key": "same"})
    assert a.json()["number"] != b.json()["number"]
    assert IdempotencyKey.objects.count() == 2


def test_idempotency_keys_expire_and_the_clock_deletes_them(client, agent_alice, settings):
    from datetime import timedelta

    from django.utils import timezone

    from kefu.core.clock import load_jobs, run_pass

    settings.KEFU_IDEMPOTENCY_KEY_HOURS = 24
    before = timezone.now()
    first = call(client, "post", URL, agent_alice, {"title": "断网"}, **{"Idempotency-Key": "req-3"})
    row = IdempotencyKey.objects.get(key="req-3")
    assert before + timedelta(hours=24) <= row.expires_at <= timezone.now() + timedelta(hours=24)
    job = next(j for j in load_jobs() if j.name == "idempotency_key_expire")
    # Within the window: the clock leaves it, a different body is refused.
    assert run_pass(job_list=[job], now=row.expires_at - timedelta(seconds=1)).handled == 0
    assert_error(call(client, "post", URL, agent_alice, {"title": "别的事"}, **{"Idempotency-Key": "req-3"}),
                 409, "idempotency_key_reused")
    # Past it, before the clock ran: the key is free again and names the new ticket.
    IdempotencyKey.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    again = call(client, "post", URL, agent_alice, {"title": "别的事"}, **{"Idempotency-Key": "req-3"})
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") is None
    assert again.json()["number"] != first.json()["number"]
    assert list(IdempotencyKey.objects.values_list("ticket__number", flat=True)) == [again.json()["number"]]
    # The clock deletes keys once they expire.
    renewed = IdempotencyKey.objects.get(key="req-3")
    assert run_pass(job_list=[job], now=renewed.expires_at).by_job == {"idempotency_key_expire": 1}
    assert not IdempotencyKey.objects.exists()
    assert Ticket.objects.count() == 2  # the tickets stay


def test_idempotency_key_too_long_is_422(client, agent_alice):
    response = call(client, "post", URL, agent_alice, {"title": "x"}, **{"Idempotency-Key": "k" * 201})
    assert_error(response, 422, "validation_error")


# --- list ---------------------------------------------------------------------------------------------------


@pytest.fixture
def queue(agent_alice, teammate_bob, outsider_charlie, customer_wang):
    return {
        "mine": TicketFactory(actor=agent_alice, title="我的工单", assignee=agent_alice, customer=customer_wang),
        "bob": TicketFactory(actor=teammate_bob, title="鲍勃的工单", assignee=teammate_bob),
        "open": TicketFactory(actor=agent_alice, title="排队中的退款问题", priority="urgent"),
        "other": TicketFactory(actor=outsider_charlie, title="售后的工单", team=outsider_charlie.team),
    }


def numbers(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {t["number"] for t in response.json()["items"]}


def test_list_scopes_and_visibility(client, agent_alice, outsider_charlie, manager_mike, queue):
    team = {queue[k].number for k in ("mine", "bob", "open")}
    assert numbers(call(client, "get", URL, agent_alice)) == team
    assert numbers(call(client, "get", URL + "?scope=mine", agent_alice)) == {queue["mine"].number}
    assert numbers(call(client, "get", URL + "?scope=unassigned", agent_alice)) == {queue["open"].number}
    assert numbers(call(client, "get", URL + "?scope=team", agent_alice)) == team
    assert numbers(call(client, "get", URL + "?scope=all", outsider_charlie)) == {queue["other"].number}
    assert len(numbers(call(client, "get", URL, manager_mike))) == 4


def test_list_filters(client, agent_alice, customer_wang, queue):
    assert numbers(call(client, "get", URL + "?status=new", agent_alice)) == {queue["open"].number}
    assert numbers(call(client, "get", URL + "?status=new&status=assigned", agent_alice)) == {
        queue[k].number for k in ("mine", "bob", "open")
    }
    assert numbers(call(client, "get", URL + "?priority=urgent", agent_alice)) == {queue["open"].number}
    assert numbers(call(client, "get", URL + f"?customer_id={customer_wang.pk}", agent_alice)) == {queue["mine"].number}
    assert numbers(call(client, "get", URL + f"?assignee_id={agent_alice.pk}", agent_alice)) == {queue["mine"].number}
    assert numbers(call(client, "get", URL + "?q=退款", agent_alice)) == {queue["open"].number}
    assert numbers(call(client, "get", URL + "?q=13812341234", agent_alice)) == {queue["mine"].number}
    assert numbers(call(client, "get", URL + f"?q={queue['bob'].number}", agent_alice)) == {queue["bob"].number}
    assert numbers(call(client, "get", URL + "?open=true&kind=complaint", agent_alice)) == set()


@pytest.mark.parametrize(
    "q", ["'", '"', "\\", "a:b", "&|!()", "%_", "中文 'x'", "*", "OR AND NOT", "GD2026", "-", "1" * 30]
)
def test_list_search_never_crashes(client, agent_alice, queue, q):
    response = client.get(URL, {"q": q}, headers=bearer(agent_alice))
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "query",
    [
        "scope=everything",
        "status=open",
        "sort=title",
        "limit=0",
        "limit=101",
        "limit=99999999999999999999999",
        "limit=abc",
        "team_id=abc",
        "team_id=99999999999999999999999",
        "q=" + "x" * 201,
        "q=%00",
        "cursor=" + "c" * 501,
    ],
)
def test_list_bad_query_is_422(client, agent_alice, query):
    assert_error(call(client, "get", URL + "?" + query, agent_alice), 422, "validation_error")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "%E4%B8%AD",
        raw_cursor([1]),
        raw_cursor({"a": 1}),
        raw_cursor([None, None]),
        raw_cursor(["2026-01-01T00:00:00+00:00", "abc"]),
        raw_cursor(["2026-01-01T00:00:00+00:00", 2**70]),
        raw_cursor(["2026-01-01T00:00:00+00:00", True]),
        raw_cursor(["not a date", 1]),
        raw_cursor([12345, 1]),
        raw_cursor(["0001-01-01T00:00:00+14:00", 1]),
        raw_cursor([["nested"], 1]),
    ],
)
def test_list_bad_cursor_is_400(client, agent_alice, queue, cursor):
    assert_error(call(client, "get", URL + "?cursor=" + cursor, agent_alice), 400, "invalid_cursor")


@pytest.mark.parametrize("sort", ["-updated_at", "updated_at", "-created_at", "created_at"])
def test_cursor_walks_every_ticket_once(client, agent_alice, sort):
    created = [TicketFactory(actor=agent_alice, title=f"工单 {i}").number for i in range(7)]
    headers = bearer(agent_alice)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, "sort": sort, **({"cursor": cursor} if cursor else {})}
        data = client.get(URL, params, headers=headers).json()
        seen += [t["number"] for t in data["items"]]
        pages += 1
        cursor = data["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == set(created)
    # Numbers grow with creation time, so they show the order.
    assert seen == sorted(created, reverse=sort.startswith("-"))


def test_list_query_count_does_not_grow(client, agent_alice, customer_wang, django_assert_num_queries):
    headers = bearer(agent_alice)
    client.get(URL, headers=headers)  # the token's first use records last_used_at

    def make(n: int) -> None:
        for i in range(n):
            TicketFactory(actor=agent_alice, title=f"工单 {i}", customer=customer_wang, tags=["甲", "乙"])

    make(2)
    # token, page, tags, customer phones, + 2 for `sla` (the page's TicketSla rows, the config token)
    with django_assert_num_queries(6):
        response = client.get(URL, headers=headers)
    assert len(response.json()["items"]) == 2
    make(10)
    with django_assert_num_queries(6):
        response = client.get(URL, headers=headers)
    items = response.json()["items"]
    assert len(items) == 12
    assert all(t["customer"]["phone"] == "138****1234" and sorted(t["tags"]) == ["乙", "甲"] for t in items)


# --- one ticket ---------------------------------------------------------------------------------------------


@pytest.fixture
def wang_ticket(agent_alice, customer_wang):
    return TicketFactory(actor=agent_alice, title="话费疑问", customer=customer_wang, contact_phone="13812341234")


def test_get_masks_contacts_for_agent_not_for_manager(client, agent_alice, manager_mike, wang_ticket):
    data = call(client, "get", URL + wang_ticket.number, agent_alice).json()
    assert data["customer"]["phone"] == "138****1234"
    assert data["contact_phone"] == "138****1234"
    assert data["customer"]["tier"] == "普通"
    data = call(client, "get", URL + wang_ticket.number, manager_mike).json()
    assert data["customer"]["phone"] == "13812341234"
    assert data["contact_phone"] == "13812341234"


def test_agent_with_contact_permission_sees_full_phone(client, teammate_bob, wang_ticket):
    User.objects.filter(pk=teammate_bob.pk).update(can_see_contacts=True)
    data = call(client, "get", URL + wang_ticket.number, teammate_bob).json()
    assert data["customer"]["phone"] == "13812341234"


def test_outsider_gets_404(client, outsider_charlie, wang_ticket):
    n = wang_ticket.number
    assert_error(call(client, "get", URL + n, outsider_charlie), 404, "ticket_not_found")
    assert_error(call(client, "get", URL + n + "/timeline", outsider_charlie), 404, "ticket_not_found")
    assert_error(call(client, "patch", URL + n, outsider_charlie, {"title": "y"}), 404, "ticket_not_found")
    body = {"kind": "note", "body": "x"}
    assert_error(call(client, "post", URL + n + "/messages", outsider_charlie, body), 404, "ticket_not_found")
    assert_error(call(client, "post", URL + n + "/assign", outsider_charlie, {"assignee": "charlie"}), 404, "ticket_not_found")
    body = {"team_id": outsider_charlie.team_id, "reason": "x"}
    assert_error(call(client, "post", URL + n + "/transfer", outsider_charlie, body), 404, "ticket_not_found")
    assert_error(call(client, "post", URL + n + "/status", outsider_charlie, {"status": "closed"}), 404, "ticket_not_found")


def test_unknown_or_malformed_number(client, agent_alice):
    assert_error(call(client, "get", URL + "GD20990101-000001", agent_alice), 404, "ticket_not_found")
    assert_error(call(client, "get", URL + "a%00b", agent_alice), 422, "validation_error")


def test_qa_reads_but_may_not_write(client, qa_quinn, wang_ticket):
    n = wang_ticket.number
    assert call(client, "get", URL + n, qa_quinn).status_code == 200
    assert call(client, "get", URL + n + "/timeline", qa_quinn).status_code == 200
    assert_error(call(client, "patch", URL + n, qa_quinn, {"title": "y"}), 403, "ticket_forbidden")
    assert_error(call(client, "post", URL + n + "/messages", qa_quinn, {"kind": "note", "body": "x"}), 403, "ticket_forbidden")
    assert_error(call(client, "post", URL + n + "/status", qa_quinn, {"status": "closed"}), 403, "ticket_forbidden")


# --- update -------------------------------------------------------------------------------------------------


def test_patch_fields_tags_priority(client, agent_alice, wang_ticket, category_billing):
    body = {
        "title": "话费多扣",
        "kind": "complaint",
        "category_id": category_billing.pk,
        "tags": ["扣费"],
        "priority": "urgent",
        "contact_phone": "139 0000 2222",
    }
    response = call(client, "patch", URL + wang_ticket.number, agent_alice, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["title"] == "话费多扣"
    assert data["kind"] == "complaint"
    assert data["category"]["id"] == category_billing.pk
    assert data["tags"] == ["扣费"]
    assert data["priority"] == "urgent"
    assert data["contact_phone"] == "139****2222"
    assert data["description"] == wang_ticket.description
    # Clearing the category.
    data = call(client, "patch", URL + wang_ticket.number, agent_alice, {"category_id": None}).json()
    assert data["category"] is None


def test_patch_empty_body_changes_nothing(client, agent_alice, wang_ticket):
    response = call(client, "patch", URL + wang_ticket.number, agent_alice, {})
    assert response.status_code == 200
    assert response.json()["title"] == wang_ticket.title


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": None}, "title"),
        ({"tags": None}, "tags"),
        ({"priority": None}, "priority"),
        ({"status": "closed"}, "status"),
        ({"kind": "bogus"}, "kind"),
        ({"description": "x" * 50_001}, "description"),
    ],
)
def test_patch_validation_errors(client, agent_alice, wang_ticket, body, field):
    data = assert_error(call(client, "patch", URL + wang_ticket.number, agent_alice, body), 422, "validation_error")
    assert field in data["fields"]


def test_patch_is_all_or_nothing(client, agent_alice, wang_ticket):
    response = call(client, "patch", URL + wang_ticket.number, agent_alice, {"title": "新标题", "category_id": 999999})
    assert_error(response, 400, "category_not_found")
    wang_ticket.refresh_from_db()
    assert wang_ticket.title == "话费疑问"


# --- messages -----------------------------------------------------------------------------------------------


def test_reply_and_note(client, agent_alice, wang_ticket):
    n = wang_ticket.number
    response = call(client, "post", URL + n + "/messages", agent_alice, {"kind": "reply", "body": "您好，已为您查询"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kind"] == "reply"
    assert data["author"] == {"username": "alice", "name": "艾丽丝"}
    assert data["from_customer"] is False
    ticket = call(client, "get", URL + n, agent_alice).json()
    assert ticket["status"] == "in_progress"
    assert ticket["first_response_at"] is not None
    response = call(client, "post", URL + n + "/messages", agent_alice, {"kind": "note", "body": "内部备注"})
    assert response.status_code == 201
    assert response.json()["kind"] == "note"


def test_reply_with_status(client, agent_alice, wang_ticket):
    body = {"kind": "reply", "body": "请提供账单截图", "status": "pending_customer"}
    assert call(client, "post", URL + wang_ticket.number + "/messages", agent_alice, body).status_code == 201
    wang_ticket.refresh_from_db()
    assert wang_ticket.status == "pending_customer"


def test_reply_with_refused_status_keeps_nothing(client, agent_alice, wang_ticket):
    # in progress after the reply; in progress -> new is not a transition.
    body = {"kind": "reply", "body": "好的", "status": "new"}
    response = call(client, "post", URL + wang_ticket.number + "/messages", agent_alice, body)
    assert_error(response, 400, "invalid_status_transition")
    assert not TicketMessage.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "reply", "body": "   "}, 400, "empty_message"),
        ({"kind": "shout", "body": "x"}, 422, "validation_error"),
        ({"body": "x"}, 422, "validation_error"),
        ({"kind": "note", "body": "x", "status": "done"}, 422, "validation_error"),
    ],
)
def test_message_errors(client, agent_alice, wang_ticket, body, status, code):
    assert_error(call(client, "post", URL + wang_ticket.number + "/messages", agent_alice, body), status, code)


def test_reply_on_closed_ticket(client, agent_alice, wang_ticket):
    call(client, "post", URL + wang_ticket.number + "/status", agent_alice, {"status": "closed"})
    response = call(client, "post", URL + wang_ticket.number + "/messages", agent_alice, {"kind": "reply", "body": "x"})
    assert_error(response, 400, "ticket_closed")


# --- assign, transfer, status -------------------------------------------------------------------------------


def test_lead_assigns_and_returns_to_queue(client, lead_linda, teammate_bob, wang_ticket):
    n = wang_ticket.number
    data = call(client, "post", URL + n + "/assign", lead_linda, {"assignee": "bob"}).json()
    assert data["assignee"]["username"] == "bob"
    assert data["status"] == "assigned"
    data = call(client, "post", URL + n + "/assign", lead_linda, {"assignee": None}).json()
    assert data["assignee"] is None
    assert data["status"] == "new"


def test_agent_may_only_claim(client, agent_alice, teammate_bob, wang_ticket):
    n = wang_ticket.number
    assert_error(call(client, "post", URL + n + "/assign", agent_alice, {"assignee": "bob"}), 403, "may_only_claim")
    data = call(client, "post", URL + n + "/assign", agent_alice, {"assignee": "alice"}).json()
    assert data["assignee"]["username"] == "alice"


def test_assign_errors(client, lead_linda, outsider_charlie, wang_ticket):
    n = wang_ticket.number
    assert_error(call(client, "post", URL + n + "/assign", lead_linda, {}), 422, "validation_error")
    assert_error(call(client, "post", URL + n + "/assign", lead_linda, {"assignee": "ghost"}), 400, "user_not_found")
    body = {"assignee": "charlie", "team_id": lead_linda.team_id}
    assert_error(call(client, "post", URL + n + "/assign", lead_linda, body), 400, "assignee_not_in_team")


def test_transfer_keeps_owner(client, agent_alice, outsider_charlie, aftersales_team, wang_ticket):
    n = wang_ticket.number
    body = {"team_id": aftersales_team.pk, "reason": "需要售后上门"}
    response = call(client, "post", URL + n + "/transfer", agent_alice, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["team"]["name"] == "售后"
    assert data["transfer_count"] == 1
    assert data["owner"]["username"] == "alice"
    # The owner still sees it; the new team does too.
    assert call(client, "get", URL + n, agent_alice).status_code == 200
    assert call(client, "get", URL + n, outsider_charlie).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"team_id": None, "reason": "x"}, 400, "transfer_target_required"),
        ({"reason": "x", "assignee": "ghost"}, 400, "user_not_found"),
        ({"team_id": 1}, 422, "validation_error"),
        ({"team_id": 999999, "reason": "x"}, 400, "team_not_found"),
        ({"team_id": "front", "reason": "x"}, 422, "validation_error"),
    ],
)
def test_transfer_errors(client, agent_alice, wang_ticket, body, status, code):
    assert_error(call(client, "post", URL + wang_ticket.number + "/transfer", agent_alice, body), status, code)


def test_transfer_blank_reason(client, agent_alice, aftersales_team, wang_ticket):
    body = {"team_id": aftersales_team.pk, "reason": "  "}
    data = assert_error(call(client, "post", URL + wang_ticket.number + "/transfer", agent_alice, body), 400, "reason_required")
    assert "reason" in data["fields"]


def test_status_changes(client, agent_alice, wang_ticket):
    n = wang_ticket.number
    data = call(client, "post", URL + n + "/status", agent_alice, {"status": "resolved", "comment": "已退款"}).json()
    assert data["status"] == "resolved"
    assert data["resolved_at"] is not None
    data = call(client, "post", URL + n + "/status", agent_alice, {"status": "closed"}).json()
    assert data["status"] == "closed"
    assert data["closed_at"] is not None
    assert_error(call(client, "post", URL + n + "/status", agent_alice, {"status": "pending_customer"}), 400, "invalid_status_transition")
    assert_error(call(client, "post", URL + n + "/status", agent_alice, {"status": "archived"}), 422, "validation_error")


# --- timeline -----------------------------------------------------------------------------------------------


def test_timeline(client, agent_alice, wang_ticket):
    n = wang_ticket.number
    call(client, "post", URL + n + "/messages", agent_alice, {"kind": "reply", "body": "您好"})
    call(client, "post", URL + n + "/messages", agent_alice, {"kind": "note", "body": "客户情绪激动"})
    call(client, "patch", URL + n, agent_alice, {"contact_phone": "13900002222"})
    response = call(client, "get", URL + n + "/timeline", agent_alice)
    assert response.status_code == 200
    entries = response.json()
    assert entries[0]["type"] == "event" and entries[0]["kind"] == "created"
    assert entries[0]["actor"] == {"username": "alice", "name": "艾丽丝"}
    messages = [e for e in entries if e["type"] == "message"]
    assert [(m["kind"], m["message"]["body"]) for m in messages] == [("reply", "您好"), ("note", "客户情绪激动")]
    assert messages[0]["event_kind"] == "replied"
    changed = [e for e in entries if e["kind"] == "fields_changed"]
    # Contact numbers in the history are masked for alice too.
    assert changed[0]["data"]["changes"]["contact_phone"] == ["138****1234", "139****2222"]


def test_timeline_unmasked_for_manager(client, agent_alice, manager_mike, wang_ticket):
    call(client, "patch", URL + wang_ticket.number, agent_alice, {"contact_phone": "13900002222"})
    entries = call(client, "get", URL + wang_ticket.number + "/timeline", manager_mike).json()
    changed = [e for e in entries if e["kind"] == "fields_changed"]
    assert changed[0]["data"]["changes"]["contact_phone"] == ["13812341234", "13900002222"]
