from __future__ import annotations

import pytest

from kefu.accounts.services import api_token_create
from kefu.chat import services


def _h(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user)[1]}"}


@pytest.fixture
def waiting(agent_alice):  # type: ignore[no-untyped-def]
    visitor = services.visitor_start(name="孙女士")
    conv, _new = services.conversation_open(visitor=visitor)
    services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="你好，转人工")
    return conv


def test_agent_accepts_sends_reads_with_cursor_and_ends(client, agent_alice, waiting):
    h = _h(agent_alice)
    base = f"/api/v1/chat/conversations/{waiting.pk}"
    assert client.get("/api/v1/chat/conversations?status=waiting", **h).json()[0]["id"] == waiting.pk
    assert client.post(f"{base}/accept", **h).json()["status"] == "active"
    r = client.post(f"{base}/messages", {"body": "您好"}, content_type="application/json", **h)
    assert r.status_code == 201
    seq = r.json()["seq"]
    msgs = client.get(f"{base}/messages?after={seq - 1}", **h).json()["messages"]
    assert [m["body"] for m in msgs] == ["您好"]
    assert client.post(f"{base}/end", **h).json()["status"] == "ended"
    r = client.post(f"{base}/messages", {"body": "还在吗"}, content_type="application/json", **h)
    assert (r.status_code, r.json()["code"]) == (409, "conversation_ended")


def test_bad_input_and_other_peoples_chats_are_4xx(client, agent_alice, teammate_bob, waiting):
    h = _h(agent_alice)
    base = f"/api/v1/chat/conversations/{waiting.pk}"
    client.post(f"{base}/accept", **h)
    r = client.post(f"{base}/messages", {"body": "  "}, content_type="application/json", **h)
    assert (r.status_code, r.json()["code"]) == (400, "empty_message")
    r = client.post(f"{base}/messages", {"body": "长" * 3000}, content_type="application/json", **h)
    assert (r.status_code, r.json()["code"]) == (400, "message_too_long")
    r = client.get(base, **_h(teammate_bob))  # another agent's live chat: invisible
    assert (r.status_code, r.json()["code"]) == (404, "conversation_not_found")
    assert client.get(base).status_code == 401


def test_bot_answer_endpoint(client, agent_alice):
    h = _h(agent_alice)
    r = client.post("/api/v1/bot/answer", {"question": "转人工"}, content_type="application/json", **h)
    assert r.json()["kind"] == "handover" and r.json()["reason"] == "asked"
    r = client.post("/api/v1/bot/answer", {"question": ""}, content_type="application/json", **h)
    assert (r.status_code, r.json()["code"]) == (400, "empty_question")


def test_end_resolved_or_not_and_transfer_by_agent_or_team_with_capacity(
    client, agent_alice, teammate_bob, waiting
):
    h = _h(agent_alice)
    base = f"/api/v1/chat/conversations/{waiting.pk}"
    client.post(f"{base}/accept", **h)
    services.chat_set_capacity(actor=teammate_bob, capacity=0)
    r = client.post(f"{base}/transfer", {"to": teammate_bob.pk}, content_type="application/json", **h)
    assert (r.status_code, r.json()["code"]) == (409, "at_capacity")
    r = client.post(f"{base}/transfer", {"team": teammate_bob.team_id}, content_type="application/json", **h)
    assert (r.status_code, r.json()["code"]) == (409, "at_capacity")
    services.chat_set_capacity(actor=teammate_bob, capacity=2)
    r = client.post(
        f"{base}/transfer",
        {"team": teammate_bob.team_id, "note": "换人"},
        content_type="application/json",
        **h,
    )
    assert r.status_code == 200 and r.json()["agent_id"] == teammate_bob.pk
    r = client.post(f"{base}/end?resolved=false", **_h(teammate_bob))
    body = r.json()
    assert (body["status"], body["resolved"]) == ("ended", False) and body["ticket"]  # left an open ticket
