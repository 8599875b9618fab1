from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.customers.models import Customer
from kefu.tests.factories import CustomerFactory

URL = "/api/v1/customers/"


def bearer(user: User) -> dict[str, str]:
    _row, token = api_token_create(user=user)
    return {"Authorization": f"Bearer {token}"}


def post(client: Client, user: User, body: Any) -> Any:
    return client.post(URL, data=body, content_type="application/json", headers=bearer(user))


def get(client: Client, user: User, url: str, params: dict[str, Any] | None = None) -> Any:
    return client.get(url, params or {}, headers=bearer(user))


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    data = response.json()
    assert set(data) == {"code", "message", "fields"}
    assert data["code"] == code
    return data


def test_anonymous_gets_401(client, customer_wang):
    assert_error(client.get(URL, {"q": "王"}), 401, "unauthorized")
    assert_error(client.get(f"{URL}{customer_wang.pk}"), 401, "unauthorized")
    assert_error(client.post(URL, data={"name": "x"}, content_type="application/json"), 401, "unauthorized")


def test_create_masked_for_agent(client, agent_alice, tier_normal):
    body = {
        "name": "李雷",
        "phones": ["+86 139-1111-2222", "02088889999"],
        "email": "lilei@example.com",
        "id_number": "110101199001011234",
        "external_id": "CRM-7",
        "is_vip": True,
        "tags": ["老客户"],
    }
    response = post(client, agent_alice, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["name"] == "李雷"
    assert data["phones"] == ["139****2222", "020****9999"]
    assert data["primary_phone"] == "139****2222"
    assert data["email"] == "l***@example.com"
    assert data["id_number"] == "1101**********1234"
    assert data["contacts_masked"] is True
    assert data["tier"]["name"] == "普通"
    assert data["is_vip"] is True
    assert data["tags"] == ["老客户"]
    assert data["assets"] == [] and data["documents"] == []
    stored = Customer.objects.get(pk=data["id"])
    assert list(stored.phones.values_list("number", flat=True)) == ["13911112222", "02088889999"]


def test_get_unmasked_for_manager(client, manager_mike, customer_wang):
    data = get(client, manager_mike, f"{URL}{customer_wang.pk}").json()
    assert data["phones"] == ["13812341234"]
    assert data["email"] == "wang@example.com"
    assert data["id_number"] == "110101199001011234"
    assert data["contacts_masked"] is False


def test_get_masked_for_agent(client, agent_alice, customer_wang):
    data = get(client, agent_alice, f"{URL}{customer_wang.pk}").json()
    assert data["phones"] == ["138****1234"]
    assert data["id_number"] == "1101**********1234"
    assert data["email"] == "w***@example.com"


def test_get_errors(client, agent_alice):
    assert_error(get(client, agent_alice, f"{URL}999999"), 404, "customer_not_found")
    assert_error(get(client, agent_alice, f"{URL}{2**64}"), 422, "validation_error")
    assert_error(get(client, agent_alice, f"{URL}abc"), 422, "validation_error")


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"phones": ["call me"]}, 400, "invalid_phone", "phone"),
        ({"email": "nope"}, 422, "validation_error", "email"),
        ({"name": "x" * 101}, 422, "validation_error", "name"),
        ({"phones": "13800000000"}, 422, "validation_error", "phones"),
        ({"tier_id": 999999}, 400, "tier_not_found", "tier_id"),
        ({"notes": "a\x00"}, 422, "validation_error", "notes"),
        ({"nickname": "x"}, 422, "validation_error", "nickname"),
    ],
)
def test_create_errors(client, agent_alice, body, status, code, field):
    data = assert_error(post(client, agent_alice, body), status, code)
    assert field in data["fields"]


def test_create_external_id_taken(client, agent_alice, tier_normal):
    post(client, agent_alice, {"name": "甲", "external_id": "E-1"})
    data = assert_error(post(client, agent_alice, {"name": "乙", "external_id": "E-1"}), 409, "external_id_taken")
    assert "external_id" in data["fields"]


def test_search(client, agent_alice, manager_mike, customer_wang):
    other = CustomerFactory(name="王大锤", phones=["13700000000"], external_id="CRM-9")
    CustomerFactory(name="李四", phones=["13600000000"])

    def ids(user: User, q: str) -> list[int]:
        response = get(client, user, URL, {"q": q})
        assert response.status_code == 200, response.content
        return [c["id"] for c in response.json()["items"]]

    assert ids(agent_alice, "王") == [customer_wang.pk, other.pk]
    assert ids(agent_alice, "138 1234 1234") == [customer_wang.pk]
    assert ids(agent_alice, "WANG@example.com") == [customer_wang.pk]
    assert ids(agent_alice, "CRM-9") == [other.pk]
    assert ids(agent_alice, "赵") == []
    items = get(client, agent_alice, URL, {"q": "13812341234"}).json()["items"]
    assert items[0]["phones"] == ["138****1234"]
    items = get(client, manager_mike, URL, {"q": "13812341234"}).json()["items"]
    assert items[0]["phones"] == ["13812341234"]


def test_search_limit(client, agent_alice, tier_normal):
    for i in range(3):
        CustomerFactory(name=f"张{i}")
    assert len(get(client, agent_alice, URL, {"q": "张", "limit": 2}).json()["items"]) == 2


@pytest.mark.parametrize("params", [{}, {"q": "x" * 101}, {"q": "a\x00"}, {"q": "王", "limit": 0}, {"q": "王", "limit": 1000}])
def test_search_bad_query(client, agent_alice, params):
    assert_error(get(client, agent_alice, URL, params), 422, "validation_error")


@pytest.mark.parametrize("q", ["'", "%", "_", "\\", "@", "+", "   "])
def test_search_odd_input_never_crashes(client, agent_alice, customer_wang, q):
    assert get(client, agent_alice, URL, {"q": q}).status_code == 200
