"""Live chat over real sockets (channels' WebsocketCommunicator) against the in-memory layer, and
once against Redis when one answers on 127.0.0.1:6379."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import signing

from kefu.asgi import application
from kefu.chat import services
from kefu.chat.choices import ConversationStatus, Sender
from kefu.chat.models import ChatMessage, Conversation, Visitor
from kefu.core.errors import DomainError
from kefu.surveys.models import DissatisfiedCase, SurveyTemplate
from kefu.tickets.choices import Channel

pytestmark = pytest.mark.django_db(transaction=True)


async def _recv_until(comm: WebsocketCommunicator, kind: str, **match: Any) -> dict[str, Any]:
    for _i in range(30):
        data = await comm.receive_json_from(timeout=5)
        if data.get("type") == kind and all(data.get(k) == v for k, v in match.items()):
            return data
    raise AssertionError(f"no {kind} {match}")


async def _visitor(token: str | None = None, after: int = 0) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    comm = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"http://shop.example.com")])
    connected, _code = await comm.connect()
    assert connected
    await comm.send_json_to({"type": "hello", "token": token, "after": after})
    return comm, await _recv_until(comm, "hello")


def test_visitor_asks_for_a_person_agent_accepts_and_replies_and_a_reconnect_gets_what_was_missed(
    agent_alice,
):
    async def scenario() -> None:
        comm, hello = await _visitor()
        conv_id = hello["conversation"]
        assert hello["status"] == ConversationStatus.BOT
        assert [m["sender"] for m in hello["messages"]] == [Sender.BOT]  # the greeting, seq 1

        await comm.send_json_to({"type": "send", "body": "我要转人工", "client_id": "c1"})
        ack = await _recv_until(comm, "ack", client_id="c1")
        assert ack["seq"] == 2
        await _recv_until(comm, "status", status=ConversationStatus.WAITING)

        await database_sync_to_async(services.conversation_accept)(actor=agent_alice, conversation_id=conv_id)
        await _recv_until(comm, "status", status=ConversationStatus.ACTIVE)
        await database_sync_to_async(services.agent_send)(
            actor=agent_alice, conversation_id=conv_id, body="您好，请讲"
        )
        pushed = await _recv_until(comm, "message")
        while pushed["message"]["sender"] != Sender.AGENT:
            pushed = await _recv_until(comm, "message")
        assert pushed["message"]["body"] == "您好，请讲"
        seen = pushed["message"]["seq"]
        await comm.disconnect()

        # While the socket is down: a reply and a whisper. Back online, the visitor asks for what
        # came after the last number it saw, and gets the reply, not the whisper.
        await database_sync_to_async(services.agent_send)(
            actor=agent_alice, conversation_id=conv_id, body="内部备注", internal=True
        )
        await database_sync_to_async(services.agent_send)(
            actor=agent_alice, conversation_id=conv_id, body="还在吗？"
        )
        comm2, hello2 = await _visitor(token=hello["token"], after=seen)
        assert hello2["conversation"] == conv_id
        assert [m["body"] for m in hello2["messages"]] == ["还在吗？"]
        await comm2.disconnect()

    async_to_sync(scenario)()
    seqs = list(ChatMessage.objects.filter(conversation__visitor__isnull=False).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))  # gap-free, no duplicates


def test_a_resend_with_the_same_client_id_is_stored_once(agent_alice):
    visitor = services.visitor_start()
    conv, _new = services.conversation_open(visitor=visitor)
    first = services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="转人工", client_id="x1")
    again = services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="转人工", client_id="x1")
    assert again[0].pk == first[0].pk
    assert conv.messages.filter(sender=Sender.VISITOR).count() == 1


def test_a_tampered_token_is_refused_and_closes_the_socket(agent_alice):
    visitor = services.visitor_start()
    forged = signing.dumps({"v": visitor.key + "x"}, salt=services.TOKEN_SALT)
    good = services.visitor_token(visitor)

    async def scenario() -> None:
        for token in (forged, good[:-3] + "abc"):
            comm = WebsocketCommunicator(application, "/ws/chat/")
            await comm.connect()
            await comm.send_json_to({"type": "hello", "token": token})
            err = await comm.receive_json_from(timeout=5)
            assert err["code"] == "bad_token"
            out = await comm.receive_output(timeout=5)
            assert out == {"type": "websocket.close", "code": 4401}

    async_to_sync(scenario)()
    assert Conversation.objects.count() == 0


def test_a_visitor_cannot_touch_another_visitors_conversation(agent_alice):
    owner, other = services.visitor_start(), services.visitor_start()
    conv, _new = services.conversation_open(visitor=owner)
    with pytest.raises(DomainError) as exc:
        services.visitor_send(visitor=other, conversation_id=conv.pk, body="hi")
    assert (exc.value.code, exc.value.status) == ("conversation_not_found", 404)
    with pytest.raises(DomainError):
        services.visitor_end(visitor=other, conversation_id=conv.pk)


@pytest.mark.parametrize(
    ("body", "code"), [("", "empty_message"), ("   ", "empty_message"), ("长" * 2001, "message_too_long")]
)
def test_bad_messages_are_refused_with_a_code(agent_alice, body, code):
    visitor = services.visitor_start()
    conv, _new = services.conversation_open(visitor=visitor)
    with pytest.raises(DomainError) as exc:
        services.visitor_send(visitor=visitor, conversation_id=conv.pk, body=body)
    assert exc.value.code == code


def test_an_ended_conversation_takes_no_messages_and_is_rated(agent_alice):
    visitor = services.visitor_start()
    conv, _new = services.conversation_open(visitor=visitor)
    with pytest.raises(DomainError) as exc:
        services.visitor_rate(visitor=visitor, conversation_id=conv.pk, score=5)
    assert exc.value.code == "not_ended"
    services.visitor_end(visitor=visitor, conversation_id=conv.pk)
    with pytest.raises(DomainError) as exc:
        services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="还有问题")
    assert (exc.value.code, exc.value.status) == ("conversation_ended", 409)
    with pytest.raises(DomainError):
        services.visitor_rate(visitor=visitor, conversation_id=conv.pk, score=9)
    services.visitor_rate(visitor=visitor, conversation_id=conv.pk, score=4, comment="挺好")
    conv.refresh_from_db()
    assert (conv.rating, conv.rating_comment) == (4, "挺好")


def test_two_agents_accepting_one_gets_it_and_capacity_is_kept(agent_alice, teammate_bob):
    visitor = services.visitor_start()
    conv, _new = services.conversation_open(visitor=visitor)
    services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="人工")
    services.conversation_accept(actor=agent_alice, conversation_id=conv.pk)
    with pytest.raises(DomainError) as exc:
        services.conversation_accept(actor=teammate_bob, conversation_id=conv.pk)
    assert (exc.value.code, exc.value.status) == ("not_waiting", 409)
    services.chat_set_capacity(actor=teammate_bob, capacity=0)
    v2 = services.visitor_start()
    c2, _new = services.conversation_open(visitor=v2)
    services.visitor_send(visitor=v2, conversation_id=c2.pk, body="人工")
    with pytest.raises(DomainError) as exc:
        services.conversation_accept(actor=teammate_bob, conversation_id=c2.pk)
    assert exc.value.code == "at_capacity"
    with pytest.raises(DomainError) as exc:
        services.agent_send(actor=teammate_bob, conversation_id=conv.pk, body="抢答")
    assert exc.value.code == "not_yours"


def test_transfer_and_a_ticket_with_the_transcript(agent_alice, teammate_bob):
    visitor = services.visitor_start(name="赵女士")
    conv, _new = services.conversation_open(visitor=visitor)
    services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="宽带断了，转人工")
    services.conversation_accept(actor=agent_alice, conversation_id=conv.pk)
    services.conversation_transfer(
        actor=agent_alice, conversation_id=conv.pk, to_user_id=teammate_bob.pk, note="宽带"
    )
    with pytest.raises(DomainError):
        services.agent_send(actor=agent_alice, conversation_id=conv.pk, body="我还在")
    services.agent_send(actor=teammate_bob, conversation_id=conv.pk, body="我来处理")
    ticket = services.conversation_to_ticket(actor=teammate_bob, conversation_id=conv.pk)
    assert ticket.channel == Channel.CHAT
    assert "宽带断了，转人工" in ticket.description and "我来处理" in ticket.description
    assert "宽带" not in ticket.description.split("我来处理")[0].replace("宽带断了", "")  # no whisper
    services.conversation_end(actor=teammate_bob, conversation_id=conv.pk)
    conv.refresh_from_db()
    assert (conv.status, conv.ticket_id) == (ConversationStatus.ENDED, ticket.pk)


def test_nobody_on_duty_the_offline_form_becomes_a_ticket(front_team):
    visitor = services.visitor_start()
    conv, _new = services.conversation_open(visitor=visitor)
    services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="转人工")
    assert conv.messages.filter(meta__offline=True).exists()
    ticket = services.offline_message(
        visitor=visitor, conversation_id=conv.pk, name="钱先生", phone="13900001111", body="请回电"
    )
    assert ticket.channel == Channel.CHAT and ticket.contact_phone
    assert Visitor.objects.get(pk=visitor.pk).name == "钱先生"


def test_the_agents_socket_hears_only_what_it_may(agent_alice, outsider_charlie, client):
    visitor = services.visitor_start()
    conv, _new = services.conversation_open(visitor=visitor)

    async def agent_socket(user) -> WebsocketCommunicator:  # type: ignore[no-untyped-def]
        comm = WebsocketCommunicator(application, "/ws/push/", headers=[(b"origin", b"http://testserver")])
        comm.scope["user"] = user  # what AuthMiddlewareStack puts there from the session
        return comm

    async def scenario() -> None:
        anon = WebsocketCommunicator(application, "/ws/push/", headers=[(b"origin", b"http://testserver")])
        connected, code = await anon.connect()
        assert not connected or code == 4401
        foreign = WebsocketCommunicator(
            application, "/ws/push/", headers=[(b"origin", b"http://evil.example")]
        )
        connected, _code = await foreign.connect()
        assert not connected

    async_to_sync(scenario)()
    # The bot has the conversation: only its agent or a supervisor may watch it, not yet anyone.
    from kefu.realtime.topics import may_join  # noqa: PLC0415 - tests may import late

    assert not may_join(agent_alice, f"conv.{conv.pk}")
    services.visitor_send(visitor=visitor, conversation_id=conv.pk, body="转人工")
    assert may_join(agent_alice, f"conv.{conv.pk}")
    services.conversation_accept(actor=agent_alice, conversation_id=conv.pk)
    assert not may_join(outsider_charlie, f"conv.{conv.pk}")
    assert not may_join(agent_alice, "nosuch.1") and not may_join(agent_alice, "ticket.abc")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_push_through_redis_reaches_a_visitor_socket(settings, agent_alice):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:6379/4"]},
        }
    }
    from channels.layers import channel_layers  # noqa: PLC0415

    channel_layers.backends.clear()
    try:

        async def scenario() -> None:
            comm, hello = await _visitor()
            await comm.send_json_to({"type": "send", "body": "人工", "client_id": "r1"})
            await _recv_until(comm, "status", status=ConversationStatus.WAITING)
            await database_sync_to_async(services.conversation_accept)(
                actor=agent_alice, conversation_id=hello["conversation"]
            )
            await _recv_until(comm, "status", status=ConversationStatus.ACTIVE)
            await comm.disconnect()

        async_to_sync(scenario)()
    finally:
        channel_layers.backends.clear()


def test_the_rating_asks_what_the_chat_survey_template_asks_and_a_low_one_enters_the_archive(customer_wang):
    SurveyTemplate.objects.create(
        name="在线客服",
        position=1,
        match_channels=[Channel.CHAT],
        title="请为在线服务打分",
        reasons=["回复慢", "没解决问题", "态度不好"],
        low_csat=2,
    )
    visitor = services.visitor_start(name="王先生", phone="13812341234")
    assert visitor.customer_id == customer_wang.pk
    conv, _new = services.conversation_open(visitor=visitor)
    services.visitor_end(visitor=visitor, conversation_id=conv.pk)
    ask = ChatMessage.objects.filter(conversation=conv, sender=Sender.SYSTEM).order_by("-seq").first()
    assert ask is not None
    assert ask.meta["rate"] == {"title": "请为在线服务打分", "reasons": ["回复慢", "没解决问题", "态度不好"]}

    with pytest.raises(DomainError) as exc:
        services.visitor_rate(visitor=visitor, conversation_id=conv.pk, score=1, reasons=["随便写的"])
    assert exc.value.code == "bad_rating"
    services.visitor_rate(
        visitor=visitor, conversation_id=conv.pk, score=1, reasons=["回复慢", "回复慢"], comment="等了很久"
    )
    conv.refresh_from_db()
    assert (conv.rating, conv.rating_reasons) == (1, ["回复慢"])
    case = DissatisfiedCase.objects.get(customer=customer_wang)
    assert case.reason == "low_score"
    assert "1/5" in case.summary and "回复慢" in case.summary and "等了很久" in case.summary
    with pytest.raises(DomainError) as exc:
        services.visitor_rate(visitor=visitor, conversation_id=conv.pk, score=5)
    assert (exc.value.code, exc.value.status) == ("already_rated", 409)


def test_a_good_rating_leaves_the_customer_out_of_the_archive(customer_wang):
    SurveyTemplate.objects.create(
        name="在线客服", position=1, match_channels=[Channel.CHAT], reasons=["速度快"]
    )
    visitor = services.visitor_start(phone="13812341234")
    conv, _new = services.conversation_open(visitor=visitor)
    services.visitor_end(visitor=visitor, conversation_id=conv.pk)
    services.visitor_rate(
        visitor=visitor, conversation_id=conv.pk, score=4, reasons=["速度快"], comment="挺好"
    )
    assert not DissatisfiedCase.objects.filter(customer=customer_wang).exists()
