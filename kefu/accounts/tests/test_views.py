from __future__ import annotations

from django.urls import reverse

from kefu.accounts.choices import Presence
from kefu.conftest import login

HX = {"HTTP_HX_REQUEST": "true"}


def test_login_page_and_login(client, agent_alice):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200 and 'name="username"' in response.content.decode()
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "pw-kefu-123"})
    assert response.status_code == 302 and response["Location"] == reverse("tickets:queue")
    assert client.get(reverse("tickets:queue")).status_code == 200


def test_wrong_password_shows_a_chinese_error(client, agent_alice):
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_root_redirects_to_queue_then_login(client, db):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:login"))


def test_logout_is_a_post(client, agent_alice):
    login(client, agent_alice)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("tickets:queue")).status_code == 302


def test_header_shows_name_role_presence_and_nav(client, agent_alice):
    login(client, agent_alice)
    body = client.get(reverse("tickets:queue")).content.decode()
    assert "艾丽丝" in body and 'id="user-presence"' in body and reverse("tickets:search") in body
    assert reverse("admin:index") not in body


def test_admin_link_for_staff_only(client, manager_mike):
    manager_mike.is_staff = True
    manager_mike.save(update_fields=["is_staff"])
    login(client, manager_mike)
    assert reverse("admin:index") in client.get(reverse("tickets:queue")).content.decode()


def test_presence_switch_htmx_returns_the_widget(client, agent_alice):
    login(client, agent_alice)
    response = client.post(reverse("accounts:presence"), {"presence": "busy"}, **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<form id="user-presence"') and "<html" not in body
    assert 'value="busy" selected' in body
    agent_alice.refresh_from_db()
    assert agent_alice.presence == Presence.BUSY and agent_alice.presence_changed_at is not None


def test_presence_switch_plain_post_and_bad_value(client, agent_alice):
    login(client, agent_alice)
    response = client.post(reverse("accounts:presence"), {"presence": "away", "next": "/tickets/"})
    assert response.status_code == 302 and response["Location"] == "/tickets/"
    response = client.post(reverse("accounts:presence"), {"presence": "asleep", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("tickets:queue")
    agent_alice.refresh_from_db()
    assert agent_alice.presence == Presence.AWAY
    assert client.post(reverse("accounts:presence"), {"presence": "asleep"}, **HX).status_code == 422


def test_presence_needs_login_and_post(client, agent_alice):
    assert client.post(reverse("accounts:presence"), {"presence": "busy"}).status_code == 302
    login(client, agent_alice)
    assert client.get(reverse("accounts:presence")).status_code == 405


def test_language_switch_to_english(client, agent_alice):
    login(client, agent_alice)
    response = client.post(reverse("accounts:set_language"), {"language": "en", "next": "/tickets/"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get(reverse("tickets:queue")).content.decode()
