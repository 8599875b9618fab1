"""The agent console's compose box and side panels over its JSON views: the `/` canned-reply picker
with pinyin matching, variables filled for the chat; knowledge suggestions from the visitor's last
message; offers listed and declined."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kefu.accounts.choices import Role
from kefu.chat import services
from kefu.chat.choices import OfferStatus
from kefu.chat.models import ChatOffer, Conversation
from kefu.knowledge import services as ks
from kefu.knowledge.choices import ArticleStatus
from kefu.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def replies(front_team):  # type: ignore[no-untyped-def]
    manager = UserFactory(username="mgr", role=Role.MANAGER, team=front_team)
    refund = ks.reply_save(
        actor=manager,
        data=ks.ReplyInput(
            title="退款办理", body="{客户姓名}您好，我是{处理人}，退款将在三个工作日内到账。", shortcut="tk"
        ),
    )
    ks.reply_save(actor=manager, data=ks.ReplyInput(title="物流查询", body="请提供订单号，我帮您查物流。"))
    return refund


def _active(agent) -> Conversation:  # type: ignore[no-untyped-def]
    visitor = services.visitor_start(name="周女士")
    conv, _new = services.conversation_open(visitor=visitor)
    services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="转人工")
    services.conversation_accept(actor=agent, conversation_id=conv.pk)
    return conv


@pytest.mark.parametrize("typed", ["tk", "/tk", "tuikuan", "tkbl", "退款", "TK"])
def test_the_slash_picker_finds_a_reply_by_shortcut_title_or_pinyin(client, agent_alice, replies, typed):
    client.force_login(agent_alice)
    found = client.get("/chat/console/replies/", {"q": typed}).json()["replies"]
    assert [r["title"] for r in found] == ["退款办理"]


def test_the_picker_with_nothing_typed_lists_all_and_no_match_lists_none(client, agent_alice, replies):
    client.force_login(agent_alice)
    assert {r["title"] for r in client.get("/chat/console/replies/", {"q": ""}).json()["replies"]} == {
        "退款办理",
        "物流查询",
    }
    assert client.get("/chat/console/replies/", {"q": "zzz"}).json()["replies"] == []


def test_a_canned_reply_is_filled_for_the_chat_and_counted_but_not_sent(
    client, agent_alice, teammate_bob, replies
):
    conv = _active(agent_alice)
    client.force_login(agent_alice)
    seq = Conversation.objects.get(pk=conv.pk).last_seq
    r = _post(client, f"/chat/console/c/{conv.pk}/canned/", {"reply": replies.pk})
    assert r.status_code == 200
    assert r.json()["text"] == "周女士您好，我是艾丽丝，退款将在三个工作日内到账。"
    assert Conversation.objects.get(pk=conv.pk).last_seq == seq  # only inserted into the box
    replies.refresh_from_db()
    assert replies.usage_count == 1
    client.force_login(teammate_bob)  # not his chat: he does not even see it
    r = _post(client, f"/chat/console/c/{conv.pk}/canned/", {"reply": replies.pk})
    assert (r.status_code, r.json()["code"]) == (404, "conversation_not_found")


def test_offers_are_in_the_console_state_and_declined_from_it(client, agent_alice):
    visitor = services.visitor_start()
    conv, _new = services.conversation_open(visitor=visitor)
    services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="转人工")
    client.force_login(agent_alice)
    state = client.get("/chat/console/state/").json()
    assert [o["conversation"] for o in state["offers"]] == [conv.pk]
    assert state["waiting"][0]["sla"]["state"] == "running"
    assert state["stats"]["waiting"] == 1
    assert _post(client, f"/chat/console/c/{conv.pk}/decline/", {}).status_code == 200
    assert ChatOffer.objects.get(conversation=conv).status == OfferStatus.DECLINED
    assert client.get("/chat/console/state/").json()["offers"] == []
    r = _post(client, f"/chat/console/c/{conv.pk}/decline/", {})
    assert (r.status_code, r.json()["code"]) == (409, "no_offer")


def test_knowledge_suggestions_follow_the_visitors_last_message(
    client, agent_alice, lead_linda, replies, outsider_charlie
):
    art = ks.article_create(
        actor=agent_alice,
        data=ks.ArticleInput(
            title="宽带故障报修", body_md="宽带断网请先重启光猫，仍不能上网请报修。", is_public=True
        ),
    )
    ks.article_transition(actor=agent_alice, article_id=art.pk, status=ArticleStatus.IN_REVIEW)
    ks.article_transition(actor=lead_linda, article_id=art.pk, status=ArticleStatus.PUBLISHED)
    conv = _active(agent_alice)
    client.force_login(agent_alice)
    assert client.get(f"/chat/console/c/{conv.pk}/suggest/").json()["hits"] == []  # only "转人工" so far
    services.visitor_send(visitor=conv.visitor, conversation_id=conv.pk, body="家里宽带断网了怎么办")
    d = client.get(f"/chat/console/c/{conv.pk}/suggest/").json()
    assert d["for"] == "家里宽带断网了怎么办"
    assert d["hits"][0]["title"] == "宽带故障报修" and d["hits"][0]["kind"] == "article"
    assert "<" not in d["hits"][0]["snippet"]  # plain text; the console sets it as text
    services.visitor_send(visitor=conv.visitor, conversation_id=conv.pk, body="退款办理要多久")
    titles = [h["title"] for h in client.get(f"/chat/console/c/{conv.pk}/suggest/").json()["hits"]]
    assert "退款办理" in titles and "宽带故障报修" not in titles
    client.force_login(outsider_charlie)
    assert client.get(f"/chat/console/c/{conv.pk}/suggest/").status_code == 404
