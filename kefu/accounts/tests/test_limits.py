"""Rate limits and lock-outs on signing in and on API tokens (kefu.accounts.limits)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from kefu.accounts.choices import Role
from kefu.accounts.limits import Limit
from kefu.accounts.models import User
from kefu.accounts.services import api_token_create
from kefu.tests.factories import UserFactory


def test_limit_specs() -> None:
    assert Limit.parse("5/15m") == Limit(hits=5, seconds=900)
    assert Limit.parse("20/h") == Limit(hits=20, seconds=3600)
    assert Limit.parse(" 1200 / 1s ") == Limit(hits=1200, seconds=1)
    for bad in ("5", "0/1m", "5/15d", "x/1m"):
        with pytest.raises(ValueError):
            Limit.parse(bad)


def _sign_in(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_failed_sign_ins_lock_the_user_name_and_tell_the_admins(settings, mailoutbox, agent_alice: User) -> None:
    settings.KEFU_LOGIN_FAILURES_PER_USER = "3/15m"
    agent_alice.set_password("right-pass-123")
    agent_alice.save()
    UserFactory(username="boss", role=Role.ADMIN, email="boss@example.com")
    client = Client()
    for _ in range(3):
        assert _sign_in(client, agent_alice.username, "wrong").status_code == 200
    # (mail.outbox itself: changing a setting in the test replaces the list the fixture handed out)
    assert [m.to for m in mail.outbox] == [["boss@example.com"]]
    assert agent_alice.username in mail.outbox[0].subject
    # locked: even the right password is refused, with a message and a 429
    locked = _sign_in(client, agent_alice.username, "right-pass-123")
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # another user from the same address is not locked (the address limit is higher)
    UserFactory(username="bob2").set_password("x")
    assert _sign_in(Client(), "bob2", "wrong").status_code == 200


def test_a_right_password_before_the_limit_signs_in(settings, agent_alice: User) -> None:
    settings.KEFU_LOGIN_FAILURES_PER_USER = "3/15m"
    agent_alice.set_password("right-pass-123")
    agent_alice.save()
    client = Client()
    for _ in range(2):
        _sign_in(client, agent_alice.username, "wrong")
    assert _sign_in(client, agent_alice.username, "right-pass-123").status_code == 302


def test_guessed_tokens_lock_the_address_out_in_json(settings, agent_alice: User) -> None:
    settings.KEFU_API_BAD_TOKENS_PER_IP = "3/5m"
    _row, token = api_token_create(user=agent_alice, name="t")
    client = Client()
    for i in range(3):
        r = client.get("/api/v1/tickets/", headers={"Authorization": f"Bearer kefu_guess{i}"})
        assert r.status_code == 401
    r = client.get("/api/v1/tickets/", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 429
    assert r.json()["code"] == "rate_limited" and int(r["Retry-After"]) > 0
    # another address is not affected
    r = client.get("/api/v1/tickets/", headers={"Authorization": f"Bearer {token}"}, REMOTE_ADDR="10.0.0.9")
    assert r.status_code == 200


def test_requests_per_user_are_limited_without_a_lock_out(settings, agent_alice: User) -> None:
    settings.KEFU_API_REQUESTS_PER_USER = "2/1h"
    _row, token = api_token_create(user=agent_alice, name="t")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert [client.get("/api/v1/tickets/").status_code for _ in range(3)] == [200, 200, 429]
