"""The WeChat channel end to end: signed (and AES-encrypted) callbacks posted to the real view, the
processing task, the database, and a local stand-in for Tencent's API over real HTTP
(wechat_server.py) for tokens, customer-service messages, WeCom sync_msg and media."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from kefu.channels import vault, wechat
from kefu.channels.choices import ContactStatus, DeliveryStatus
from kefu.channels.models import Contact, Delivery, WechatIdentity, WechatState
from kefu.channels.services import contact_retry, delivery_send
from kefu.channels.tests.wechat_server import tencent_server
from kefu.channels.wechat_models import ClaimStatus
from kefu.channels.wechat_services import WechatAccountInput, account_save, callback_receive, claim_decide
from kefu.customers.services import customer_create
from kefu.tickets.choices import Channel, MessageKind
from kefu.tickets.models import Ticket, TicketMessage
from kefu.tickets.services import ticket_add_message

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "callbacktoken1"
AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OPENID = "oUser_0000000000000000000001"


@pytest.fixture
def tencent():
    with tencent_server() as t:
        yield t


@pytest.fixture
def oa(manager_mike, front_team, tencent):
    return account_save(actor=manager_mike, data=WechatAccountInput(
        name="客服公众号", platform="oa", app_id=tencent.app_id, api_base=tencent.url, app_secret=tencent.secret,
        token=TOKEN, aes_key=AES, team=front_team,
    ))


@pytest.fixture
def wecom(manager_mike, front_team, tencent):
    return account_save(actor=manager_mike, data=WechatAccountInput(
        name="企业微信客服", platform="wecom", app_id=tencent.corp_id, open_kfid="wkKF0001", api_base=tencent.url,
        app_secret=tencent.corp_secret, token=TOKEN, aes_key=AES, team=front_team,
    ))


def xml_msg(kind: str = "text", *, msg_id: str = "10001", content: str = "我的快递三天没动了", openid: str = OPENID,
            created: int | None = None, **extra: str) -> bytes:
    f: dict[str, str | int] = {"ToUserName": "gh_kefu", "FromUserName": openid, "CreateTime": created or int(time.time()), "MsgType": kind}
    if kind == "text":
        f["Content"] = content
    if kind != "event":
        f["MsgId"] = int(msg_id)
    f.update(extra)
    return wechat.build_xml(f)


def post(client: Client, account, plain: bytes, *, receive_id: str | None = None, ts: int | None = None,
         forge: bool = False, plain_mode: bool = False):
    ts_s, nonce = str(ts or int(time.time())), "nonce42"
    rid = receive_id or account.config["app_id"]
    if plain_mode:
        q = {"signature": wechat.signature(TOKEN, ts_s, nonce), "timestamp": ts_s, "nonce": nonce, "openid": OPENID}
        body = plain
    else:
        enc = wechat.encrypt(plain, encoding_aes_key=AES, receive_id=rid)
        body = wechat.build_xml({"ToUserName": rid, "Encrypt": enc})
        q = {"msg_signature": wechat.signature(TOKEN, ts_s, nonce, enc), "timestamp": ts_s, "nonce": nonce, "encrypt_type": "aes"}
    if forge:
        q["msg_signature" if "msg_signature" in q else "signature"] = "f" * 40
    return client.post(f"/channels/wechat/{account.pk}/callback?{urlencode(q)}", data=body, content_type="text/xml")


def reply(ticket: Ticket, agent, body: str = "您好，已为您催促快递公司。") -> TicketMessage:
    return ticket_add_message(actor=agent, number=ticket.number, body=body, kind=MessageKind.REPLY)


# --- callback and intake -----------------------------------------------------------------------------


def test_url_verification_plain_signature_for_the_official_account(oa):
    ts, nonce = str(int(time.time())), "123"
    q = {"signature": wechat.signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": "8427416537"}
    r = Client().get(f"/channels/wechat/{oa.pk}/callback?{urlencode(q)}")
    assert r.status_code == 200 and r.content == b"8427416537"
    q["signature"] = "0" * 40
    assert Client().get(f"/channels/wechat/{oa.pk}/callback?{urlencode(q)}").status_code == 403


def test_url_verification_of_wecom_with_tencents_example(manager_mike):
    acc = account_save(actor=manager_mike, data=WechatAccountInput(
        name="样例", platform="wecom", app_id="wx5823bf96d3bd56c7", open_kfid="kf1", token="QDG6eK",
        aes_key="jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", app_secret="x",
    ))
    q = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589", "nonce": "263014780",
         "echostr": "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="}
    r = Client().get(f"/channels/wechat/{acc.pk}/callback?{urlencode(q)}")
    assert r.status_code == 200 and r.content == b"1616140317555161061"


def test_a_text_message_is_answered_success_and_opens_a_wechat_ticket(oa, tencent):
    r = post(Client(), oa, xml_msg())
    assert r.status_code == 200 and r.content == b"success"
    c = Contact.objects.get()
    assert c.status == ContactStatus.PROCESSED and c.external_id == "msg:10001" and c.sender == OPENID
    assert b"<Content><![CDATA[" in bytes(c.raw)  # the decrypted XML is kept
    t = c.ticket
    assert t.channel == Channel.WECHAT and t.title == "我的快递三天没动了" and t.team == oa.team
    ident = WechatIdentity.objects.get()
    assert ident.customer == t.customer and ident.claim_status == ClaimStatus.ASKED
    # The first contact is asked for a phone number through the customer-service API.
    assert [s["touser"] for s in tencent.sent] == [OPENID] and "手机号" in tencent.sent[0]["text"]["content"]


def test_wechat_retries_of_the_same_msgid_make_one_message(oa):
    body = xml_msg(msg_id="777")
    for _ in range(4):  # the first delivery and WeChat's three retries
        assert post(Client(), oa, body).content == b"success"
    assert Contact.objects.count() == 1 and Ticket.objects.count() == 1
    assert TicketMessage.objects.filter(from_customer=True).count() == 0  # only the ticket's description


def test_plain_mode_callbacks_are_taken_too(oa):
    assert post(Client(), oa, xml_msg(msg_id="5"), plain_mode=True).content == b"success"
    assert Contact.objects.get().status == ContactStatus.PROCESSED


@pytest.mark.parametrize(
    ("how", "status"),
    [("forged", 403), ("stale", 403), ("other app", 403), ("malformed", 400)],
)
def test_forged_stale_or_broken_callbacks_get_a_4xx_and_store_nothing(oa, how, status):
    c = Client()
    if how == "forged":
        r = post(c, oa, xml_msg(), forge=True)
    elif how == "stale":
        r = post(c, oa, xml_msg(), ts=int(time.time()) - 3600)
    elif how == "other app":
        r = post(c, oa, xml_msg(), receive_id="wx_someone_else")
    else:
        ts = str(int(time.time()))
        q = {"msg_signature": wechat.signature(TOKEN, ts, "n", "x"), "timestamp": ts, "nonce": "n", "encrypt_type": "aes"}
        r = c.post(f"/channels/wechat/{oa.pk}/callback?{urlencode(q)}", data=b"<xml><Encrypt>x", content_type="text/xml")
    assert r.status_code == status
    assert Contact.objects.count() == 0


def test_an_unknown_or_paused_account_answers_404(oa):
    assert Client().post("/channels/wechat/99999/callback", data=b"<xml/>", content_type="text/xml").status_code == 404


def test_a_second_message_joins_the_open_ticket(oa):
    post(Client(), oa, xml_msg(msg_id="1"))
    post(Client(), oa, xml_msg(msg_id="2", content="单号是 SF123456"))
    assert Ticket.objects.count() == 1
    second = Contact.objects.get(external_id="msg:2")
    assert not second.opened_ticket and TicketMessage.objects.get(pk=second.ticket_message_id).body == "单号是 SF123456"


def test_image_and_voice_are_kept_as_files(oa):
    post(Client(), oa, xml_msg("image", msg_id="11", PicUrl="http://mmbiz/x.jpg", MediaId="M_IMG"))
    post(Client(), oa, xml_msg("voice", msg_id="12", MediaId="M_VOICE", Format="amr", Recognition="帮我查一下"))
    ticket = Ticket.objects.get()
    names = sorted(d.name for d in ticket.customer.documents.all())
    assert names == ["wechat-image-11.jpg", "wechat-voice-12.amr"]
    voice = Contact.objects.get(external_id="msg:12")
    assert "帮我查一下" in TicketMessage.objects.get(pk=voice.ticket_message_id).body


def test_a_media_file_wechat_no_longer_has_is_noted_not_lost(oa):
    post(Client(), oa, xml_msg("image", msg_id="13", MediaId="GONE"))
    c = Contact.objects.get()
    assert c.status == ContactStatus.PROCESSED and c.refused_attachments[0]["code"] == "media_get_failed"
    assert "40007" in c.ticket.description


def test_subscribe_asks_for_the_phone_and_unsubscribe_is_recorded(oa, tencent):
    post(Client(), oa, xml_msg("event", Event="subscribe", EventKey=""))
    ident = WechatIdentity.objects.get()
    assert ident.subscribed and ident.claim_status == ClaimStatus.ASKED and len(tencent.sent) == 1
    post(Client(), oa, xml_msg("event", Event="unsubscribe", created=int(time.time()) + 1))
    ident.refresh_from_db()
    assert not ident.subscribed and Ticket.objects.count() == 0
    assert sorted(Contact.objects.values_list("reason", flat=True)) == ["event_subscribe", "event_unsubscribe"]


def test_phone_claim_confirmed_by_an_agent_links_the_existing_customer(oa, tencent, agent_alice):
    known = customer_create(actor=None, name="李娜", phones=["13912345678"])
    post(Client(), oa, xml_msg(msg_id="20", content="快递问题"))
    post(Client(), oa, xml_msg(msg_id="21", content="139 1234 5678"))
    ident = WechatIdentity.objects.get()
    assert ident.claim_status == ClaimStatus.PENDING and ident.claimed_phone == "13912345678"
    assert Contact.objects.get(external_id="msg:21").reason == "phone_claim"
    c = Client()
    c.force_login(agent_alice)
    page = c.get("/channels/wechat/claims/")
    assert page.status_code == 200 and "李娜" in page.content.decode()
    assert "13912345678" not in page.content.decode()  # an agent without contact rights sees it masked
    r = c.post(f"/channels/wechat/claims/{ident.pk}/confirm/")
    assert r.status_code == 302
    ident.refresh_from_db()
    assert ident.claim_status == ClaimStatus.CONFIRMED and ident.customer == known and ident.decided_by == agent_alice
    assert "尾号 5678" in tencent.sent[-1]["text"]["content"]
    # The next conversation lands on the real profile.
    Ticket.objects.update(status="closed")
    post(Client(), oa, xml_msg(msg_id="22", content="又有问题"))
    assert Contact.objects.get(external_id="msg:22").ticket.customer == known


def test_a_claim_for_an_unknown_phone_adds_it_to_the_wechat_profile_and_qa_may_not_decide(oa, agent_alice, qa_quinn):
    post(Client(), oa, xml_msg(msg_id="30", content="13800001111"))
    ident = WechatIdentity.objects.get()
    from kefu.core.errors import Forbidden

    with pytest.raises(Forbidden):
        claim_decide(actor=qa_quinn, identity_id=ident.pk, confirm=True)
    claim_decide(actor=agent_alice, identity_id=ident.pk, confirm=True)
    ident.refresh_from_db()
    assert list(ident.customer.phones.values_list("number", flat=True)) == ["13800001111"]


def test_a_stored_message_whose_task_never_ran_is_processed_by_retry(oa, manager_mike):
    ts = str(int(time.time()))
    plain = xml_msg(msg_id="40")
    enc = wechat.encrypt(plain, encoding_aes_key=AES, receive_id=oa.config["app_id"])
    body = wechat.build_xml({"ToUserName": "x", "Encrypt": enc})
    q = {"msg_signature": wechat.signature(TOKEN, ts, "n", enc), "timestamp": ts, "nonce": "n", "encrypt_type": "aes"}
    received = callback_receive(account=oa, body=body, query=q)  # the view's step 1 only
    assert received.created and received.contact.status == ContactStatus.RECEIVED
    c = contact_retry(actor=manager_mike, contact_id=received.contact.pk)
    assert c.status == ContactStatus.PROCESSED and c.ticket is not None and c.attempts == 2


def test_a_message_that_cannot_be_processed_is_kept_as_failed(oa):
    post(Client(), oa, xml_msg(msg_id="41", openid=""))
    c = Contact.objects.get()
    assert c.status == ContactStatus.FAILED and "no_sender" in c.error and Ticket.objects.count() == 0


# --- outbound --------------------------------------------------------------------------------------


def _ticket_from_wechat(oa) -> Ticket:
    post(Client(), oa, xml_msg(msg_id="50"))
    return Ticket.objects.get()


def test_an_agent_reply_goes_out_as_a_customer_service_message(oa, tencent, agent_alice):
    ticket = _ticket_from_wechat(oa)
    reply(ticket, agent_alice)
    d = Delivery.objects.get()
    assert d.status == DeliveryStatus.SENT and d.recipient == OPENID and d.attempts == 1
    last = tencent.sent[-1]
    assert last["path"] == "/cgi-bin/message/custom/send" and last["msgtype"] == "text"
    assert last["text"]["content"] == "您好，已为您催促快递公司。"
    # An internal note goes nowhere.
    ticket_add_message(actor=agent_alice, number=ticket.number, body="内部备注", kind=MessageKind.NOTE)
    assert Delivery.objects.count() == 1


def test_the_access_token_is_fetched_once_and_cached(oa, tencent, agent_alice):
    ticket = _ticket_from_wechat(oa)  # the phone question used the first token
    reply(ticket, agent_alice, "一")
    reply(ticket, agent_alice, "二")
    assert len(tencent.tokens_issued) == 1
    state = WechatState.objects.get(account=oa)
    assert vault.decrypt(state.token_encrypted) == "ACCESS_TOKEN_1" and "ACCESS_TOKEN" not in state.token_encrypted


@pytest.mark.parametrize("how", ["revoked (40001)", "expired (42001)"])
def test_a_refused_token_is_refreshed_and_the_message_sent(oa, tencent, agent_alice, how):
    ticket = _ticket_from_wechat(oa)
    tencent.revoke_all() if how.startswith("revoked") else tencent.expire_all()
    reply(ticket, agent_alice)
    assert Delivery.objects.get().status == DeliveryStatus.SENT
    assert tencent.tokens_issued == ["ACCESS_TOKEN_1", "ACCESS_TOKEN_2"]


def test_a_token_near_its_expiry_is_refreshed_before_use(oa, tencent, agent_alice):
    ticket = _ticket_from_wechat(oa)
    WechatState.objects.filter(account=oa).update(token_expires_at=timezone.now() + timedelta(minutes=4))
    reply(ticket, agent_alice)
    assert len(tencent.tokens_issued) == 2 and tencent.sent[-1]["text"]


def test_outside_the_48_hour_window_the_reply_is_undeliverable_at_once(oa, tencent, agent_alice):
    ticket = _ticket_from_wechat(oa)
    WechatIdentity.objects.update(last_inbound_at=timezone.now() - timedelta(hours=49))
    before = len(tencent.sent)
    reply(ticket, agent_alice)
    d = Delivery.objects.get()
    assert d.status == DeliveryStatus.FAILED and d.next_attempt_at is None and d.attempts == 1
    assert "48" in d.last_error and len(tencent.sent) == before
    page = Client()
    page.force_login(agent_alice)
    assert "48" in page.get(f"/tickets/{ticket.number}/").content.decode()


def test_wechat_answering_45015_marks_it_undeliverable_without_retries(oa, tencent, agent_alice):
    ticket = _ticket_from_wechat(oa)
    tencent.unreachable.add(OPENID)
    reply(ticket, agent_alice)
    d = Delivery.objects.get()
    assert d.status == DeliveryStatus.FAILED and "45015" in d.last_error and d.next_attempt_at is None


def test_a_server_error_is_retried_by_the_clock(oa, tencent, agent_alice):
    ticket = _ticket_from_wechat(oa)
    tencent.fail_next_sends = 1
    reply(ticket, agent_alice)
    d = Delivery.objects.get()
    assert d.status == DeliveryStatus.PENDING and d.attempts == 1 and "503" in d.last_error
    assert delivery_send(delivery_id=d.pk, due_at=d.next_attempt_at)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT and d.attempts == 2


# --- WeCom 微信客服 ------------------------------------------------------------------------------------


def kf_text(msgid: str, text: str, user: str = "wmEXT0001", origin: int = 3) -> dict:
    return {"msgid": msgid, "open_kfid": "wkKF0001", "external_userid": user, "send_time": int(time.time()),
            "origin": origin, "msgtype": "text", "text": {"content": text}}


def kf_notice(corp_id: str) -> bytes:
    return wechat.build_xml({"ToUserName": corp_id, "CreateTime": int(time.time()), "MsgType": "event",
                             "Event": "kf_msg_or_event", "Token": "SYNC_TOKEN", "OpenKfId": "wkKF0001"})


def test_wecom_callback_pulls_messages_with_sync_msg_and_replies_with_kf_send_msg(wecom, tencent, agent_alice):
    tencent.kf_messages += [kf_text("K1", "退款什么时候到账"), kf_text("K2", "我们的客服回复", origin=5), kf_text("K3", "订单号 A100")]
    r = post(Client(), wecom, kf_notice(tencent.corp_id), receive_id=tencent.corp_id)
    assert r.content == b"success"
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["kf:K1", "kf:K3"]  # our own (origin 5) skipped
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WECHAT and ticket.title == "退款什么时候到账"
    assert WechatState.objects.get(account=wecom).sync_cursor == "3"
    # A second notice pulls from the cursor: nothing twice.
    tencent.kf_messages.append(kf_text("K4", "还在吗"))
    post(Client(), wecom, kf_notice(tencent.corp_id), receive_id=tencent.corp_id)
    assert Contact.objects.count() == 3 and Ticket.objects.count() == 1
    reply(ticket, agent_alice, "已到账")
    sent = tencent.sent[-1]
    assert sent["path"] == "/cgi-bin/kf/send_msg" and sent["open_kfid"] == "wkKF0001" and sent["touser"] == "wmEXT0001"
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_wecom_callbacks_must_be_encrypted(wecom, tencent):
    r = post(Client(), wecom, kf_notice(tencent.corp_id), plain_mode=True)
    assert r.status_code == 400 and not Contact.objects.exists()


# --- pages and secrets -------------------------------------------------------------------------------


def test_the_account_page_never_shows_secrets_and_tests_the_connection(oa, manager_mike, tencent):
    c = Client()
    c.force_login(manager_mike)
    html = c.get(f"/channels/wechat/{oa.pk}/").content.decode()
    for secret in (tencent.secret, TOKEN, AES):
        assert secret not in html
    assert f"/channels/wechat/{oa.pk}/callback" in html and 'data-secret-stored="aes_key"' in html
    assert tencent.secret not in oa.secret_encrypted and json.loads(vault.decrypt(oa.secret_encrypted))["token"] == TOKEN
    r = c.post(f"/channels/accounts/{oa.pk}/test/", HTTP_HX_REQUEST="true")
    assert 'data-check="token" data-ok="1"' in r.content.decode()
    # A wrong secret says so.
    r = c.post(f"/channels/wechat/{oa.pk}/", {"name": oa.name, "is_active": "on", "platform": "oa", "app_id": oa.config["app_id"],
                                                "api_base": tencent.url, "app_secret": "wrong", "thread_window_hours": 72})
    assert r.status_code == 302
    r = c.post(f"/channels/accounts/{oa.pk}/test/", HTTP_HX_REQUEST="true")
    assert 'data-check="token" data-ok="0"' in r.content.decode() and "40125" in r.content.decode()
    assert json.loads(vault.decrypt(type(oa).objects.get(pk=oa.pk).secret_encrypted))["token"] == TOKEN  # kept


def test_an_agent_cannot_open_the_account_page(oa, agent_alice):
    c = Client()
    c.force_login(agent_alice)
    assert c.get(f"/channels/wechat/{oa.pk}/").status_code == 404


def test_the_demo_account_is_paused_with_fake_secrets_and_shows_every_part(manager_mike, front_team):
    from kefu.channels.wechat_demo import DEMO_WECHAT_TICKETS, load_wechat_demo

    account = load_wechat_demo(manager=manager_mike)
    assert not account.is_active and account.config["api_base"] == "http://127.0.0.1:9"
    assert Ticket.objects.filter(channel=Channel.WECHAT).count() == DEMO_WECHAT_TICKETS
    assert WechatIdentity.objects.filter(claim_status=ClaimStatus.PENDING).count() == 1
    assert not Contact.objects.exclude(status=ContactStatus.PROCESSED).exists()


def test_the_claims_api_lists_masked_and_confirms(oa, agent_alice):
    from kefu.accounts.services import api_token_create

    post(Client(), oa, xml_msg(msg_id="60", content="13700001234"))
    ident = WechatIdentity.objects.get()
    _row, token = api_token_create(user=agent_alice, name="t")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    rows = c.get("/api/v1/channels/wechat/claims").json()
    assert [r["identity_id"] for r in rows] == [ident.pk] and rows[0]["phone"] != "13700001234"
    r = c.post(f"/api/v1/channels/wechat/claims/{ident.pk}/confirm")
    assert r.status_code == 200 and r.json()["claim_status"] == "confirmed"
    again = c.post(f"/api/v1/channels/wechat/claims/{ident.pk}/confirm")
    assert again.status_code == 409 and again.json()["code"] == "claim_not_pending"
