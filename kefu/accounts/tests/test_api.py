from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kefu.accounts.models import ApiToken, User
from kefu.accounts.services import api_token_create


def bearer(user: User) -> dict[str, str]:
    _row, token = api_token_create(user=user)
    return {"Authorization": f"Bearer {token}"}


def test_me_requires_token(client, db):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_me(client, agent_alice, front_team):
    response = client.get("/api/v1/me", headers=bearer(agent_alice))
    assert response.status_code == 200
    assert response.json() == {
        "id": agent_alice.pk,
        "username": "alice",
        "name": "艾丽丝",
        "role": "agent",
        "team": {"id": front_team.pk, "name": "一线客服"},
        "presence": "online",
        "presence_changed_at": None,
        "may_see_contacts": False,
        "sees_all_tickets": False,
    }


def test_me_manager(client, manager_mike):
    data = client.get("/api/v1/me", headers=bearer(manager_mike)).json()
    assert data["team"] is None
    assert data["may_see_contacts"] is True
    assert data["sees_all_tickets"] is True


def test_set_presence(client, agent_alice):
    response = client.put(
        "/api/v1/me/presence", data={"presence": "away"}, content_type="application/json", headers=bearer(agent_alice)
    )
    assert response.status_code == 200, response.content
    assert response.json()["presence"] == "away"
    assert response.json()["presence_changed_at"] is not None
    agent_alice.refresh_from_db()
    assert agent_alice.presence == "away"


@pytest.mark.parametrize("body", [{"presence": "sleeping"}, {}, {"presence": None}, {"presence": "busy", "x": 1}])
def test_set_presence_invalid(client, agent_alice, body):
    response = client.put("/api/v1/me/presence", data=body, content_type="application/json", headers=bearer(agent_alice))
    assert response.status_code == 422
    data = response.json()
    assert data["code"] == "validation_error"
    assert data["fields"]


def test_presence_wrong_method(client, agent_alice):
    response = client.get("/api/v1/me/presence", headers=bearer(agent_alice))
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_token_command_prints_a_working_token(client, agent_alice):
    out = StringIO()
    call_command("token", "alice", "--name", "CRM", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("kefu_")
    row = ApiToken.objects.get(user=agent_alice)
    assert row.name == "CRM"
    assert row.digest == ApiToken.digest_of(token)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json()["username"] == "alice"


def test_token_command_refuses_unknown_and_inactive_users(agent_alice):
    with pytest.raises(CommandError):
        call_command("token", "nobody", stdout=StringIO())
    User.objects.filter(pk=agent_alice.pk).update(is_active=False)
    with pytest.raises(CommandError):
        call_command("token", "alice", stdout=StringIO())
    assert not ApiToken.objects.exists()
