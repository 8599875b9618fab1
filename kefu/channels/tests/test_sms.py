"""The SMS channel against a local stand-in of Aliyun's signed SMS API: outbound with retries,
delivery receipts and inbound SMS through signed webhooks, threading, opt-out, replies by SMS."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kefu.channels import signing
from kefu.channels.models import ChannelAccount, Contact, SmsMessage, SmsOptOut
from kefu.channels.sms import (
    SmsAccountInput,
    aliyun_signature,
    sms_account_save,
    sms_account_test,
    sms_queue,
    sms_send,
)
from kefu.channels.tests.aliyun_standin import aliyun_sms
from kefu.conftest import login
from kefu.tickets.choices import Channel, MessageKind
from kefu.tickets.models import Ticket
from kefu.tickets.services import ticket_add_message

pytestmark = pytest.mark.django_db

HOOK = "webhook-secret-0123456789"


def test_the_signature_is_aliyuns_documented_example():
    # Aliyun's RPC signature v1 example (DescribeRegions, AccessKey testid / testsecret, GET).
    params = {
        "AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26",
    }
    assert aliyun_signature(params, "testsecret", "GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


@pytest.fixture
def gateway():
    with aliyun_sms() as g:
        yield g


@pytest.fixture
def sms_account(manager_mike, front_team, gateway) -> ChannelAccount:
    return sms_account_save(actor=manager_mike, data=SmsAccountInput(
        name="阿里云短信", team=front_team, access_key_secret=gateway.secret, webhook_secret=HOOK,
        config={"endpoint": gateway.url, "access_key_id": gateway.key_id, "sign_name": "客服中心",
                "template_reply": "SMS_100001", "template_survey": "SMS_100002"},
    ))


def push(client: Client, account: ChannelAccount, path: str, items: Any, secret: str = HOOK) -> Any:
    body = json.dumps(items, ensure_ascii=False).encode()
    return client.post(f"/api/v1/channels/sms/{path}", body, content_type="application/json",
                       headers=signing.signed_headers(account.pk, secret, body))


def _send_due(sms: SmsMessage) -> None:
    sms.refresh_from_db()
    assert sms.next_attempt_at is not None
    sms_send(sms_id=sms.pk, due_at=sms.next_attempt_at)
    sms.refresh_from_db()


def test_outbound_is_signed_as_aliyun_checks_and_a_refusal_is_retried(sms_account, gateway):
    sms = sms_queue(account=sms_account, phone="+86 13812341234", purpose="survey", params={"url": "https://k.cn/s/1"}, body="请评价")
    gateway.fail_next.append("isv.BUSINESS_LIMIT_CONTROL")  # Aliyun's rate limit: try again later
    _send_due(sms)
    assert sms.status == "pending" and sms.attempts == 1 and "BUSINESS_LIMIT_CONTROL" in sms.last_error
    sms.next_attempt_at = timezone.now()
    sms.save(update_fields=["next_attempt_at"])
    _send_due(sms)
    assert sms.status == "sent" and sms.external_id.startswith("1^")
    sent = gateway.sent[0]
    assert (sent["PhoneNumbers"], sent["TemplateCode"], sent["SignName"]) == ("13812341234", "SMS_100002", "客服中心")
    assert json.loads(sent["TemplateParam"]) == {"url": "https://k.cn/s/1"}
    assert gateway.refused == []


def test_a_wrong_secret_is_refused_by_the_gateway_and_the_test_button_says_so(sms_account, gateway, manager_mike):
    assert sms_account_test(actor=manager_mike, account_id=sms_account.pk)[0] is True
    gateway.secret = "rotated-on-the-console"
    ok, message = sms_account_test(actor=manager_mike, account_id=sms_account.pk)
    assert not ok and "SignatureDoesNotMatch" in message
    sms = sms_queue(account=sms_account, phone="13812341234", purpose="survey", params={}, body="x")
    _send_due(sms)
    assert sms.status == "pending" and "SignatureDoesNotMatch" in sms.last_error


def test_receipts_mark_delivered_or_failed_once(client, sms_account):
    a = sms_queue(account=sms_account, phone="13812341234", purpose="survey", params={}, body="x")
    b = sms_queue(account=sms_account, phone="13900001111", purpose="survey", params={}, body="y")
    _send_due(a)
    _send_due(b)
    items = [
        {"phone_number": "13812341234", "success": True, "biz_id": a.external_id, "err_code": "DELIVERED", "report_time": "2026-12-07 10:00:05"},
        {"phone_number": "13900001111", "success": False, "biz_id": b.external_id, "err_code": "MOBILE_NOT_ON_SERVICE", "err_msg": "停机"},
    ]
    assert push(client, sms_account, "reports", items).json() == {"code": 0, "msg": "成功", "taken": 2, "duplicates": 0}
    assert push(client, sms_account, "reports", items).json()["duplicates"] == 2
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status, b.receipt_code) == ("delivered", "failed", "MOBILE_NOT_ON_SERVICE")
    assert a.delivered_at is not None


def test_unsigned_webhooks_are_refused(client, sms_account):
    for path in ("reports", "inbound"):
        r = client.post(f"/api/v1/channels/sms/{path}", "[]", content_type="application/json")
        assert (r.status_code, r.json()["code"]) == (401, "signature_missing")
        r = push(client, sms_account, path, [], secret="not-the-webhook-secret")
        assert (r.status_code, r.json()["code"]) == (401, "signature_invalid")


def test_an_inbound_sms_opens_a_ticket_the_next_threads_and_a_retry_is_one_message(client, sms_account, front_team):
    first = [{"phone_number": "13812341234", "content": "我的信用卡被盗刷了", "send_time": "2026-12-07 10:00:00", "sequence_id": 9001}]
    assert push(client, sms_account, "inbound", first).json()["taken"] == 1
    assert push(client, sms_account, "inbound", first).json()["duplicates"] == 1
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.team, ticket.contact_phone) == (Channel.SMS, front_team, "13812341234")
    second = [{"phone_number": "13812341234", "content": "请尽快处理", "sequence_id": 9002}]
    push(client, sms_account, "inbound", second)
    assert Ticket.objects.count() == 1
    assert list(ticket.messages.values_list("body", flat=True).order_by("id"))[-1] == "请尽快处理"
    assert Contact.objects.filter(account=sms_account, channel="sms", status="processed").count() == 2


def test_an_agent_reply_on_an_sms_ticket_goes_back_by_sms_after_commit(
    client, sms_account, gateway, agent_alice, django_capture_on_commit_callbacks
):
    push(client, sms_account, "inbound", [{"phone_number": "13812341234", "content": "账单有误", "sequence_id": 1}])
    ticket = Ticket.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        message = ticket_add_message(actor=agent_alice, number=ticket.number, kind=MessageKind.REPLY, body="您好，已为您核实账单，差额将在3个工作日内退回。")
        assert not gateway.sent  # nothing leaves before the commit
    sms = SmsMessage.objects.get(message=message)
    assert (sms.status, sms.purpose, sms.phone) == ("sent", "reply", "13812341234")
    assert json.loads(gateway.sent[0]["TemplateParam"])["content"].startswith("您好，已为您核实账单")
    assert gateway.sent[0]["TemplateCode"] == "SMS_100001"
    # The ticket page shows it, with the number masked for the agent.
    page = login(client, agent_alice).get(f"/tickets/{ticket.number}/").content.decode()
    assert 'data-sms-status="sent"' in page and "138****1234" in page and "13812341234" not in page


def test_td_opts_out_and_later_messages_except_codes_are_not_sent(client, sms_account, gateway):
    r = push(client, sms_account, "inbound", [{"phone_number": "13812341234", "content": "TD", "sequence_id": 5}])
    assert r.json()["taken"] == 1
    assert SmsOptOut.objects.filter(phone="13812341234").exists()
    assert not Ticket.objects.exists()
    assert Contact.objects.get(account=sms_account).reason == "opt_out"
    push(client, sms_account, "inbound", [{"phone_number": "13900001111", "content": "退订。", "sequence_id": 6}])
    assert SmsOptOut.objects.count() == 2
    survey = sms_queue(account=sms_account, phone="13812341234", purpose="survey", params={}, body="x")
    assert (survey.status, survey.last_error, survey.next_attempt_at) == ("failed", "opted_out", None)
    code = sms_queue(account=sms_account, phone="13812341234", purpose="code", params={"code": "1234"}, body="x")
    assert code.status == "failed" and code.last_error == "no_template"  # the account has no code template
    assert gateway.sent == []


def test_sms_account_secrets_are_encrypted_and_kept_when_left_empty(manager_mike, sms_account, gateway):
    assert gateway.secret not in sms_account.secret_encrypted and HOOK not in sms_account.secret_encrypted
    again = sms_account_save(actor=manager_mike, account_id=sms_account.pk, data=SmsAccountInput(
        name="阿里云短信", config={**sms_account.config}))
    assert signing.webhook_secret(again) == HOOK


def test_the_sms_account_pages_and_test_button(client, manager_mike, sms_account):
    login(client, manager_mike)
    page = client.get(f"/channels/sms/{sms_account.pk}/").content.decode()
    assert "data-sms-test" in page and HOOK not in page
    r = client.post(f"/channels/sms/{sms_account.pk}/test/", follow=True)
    assert "客服中心" in r.content.decode()
    assert client.get("/channels/").status_code == 200
