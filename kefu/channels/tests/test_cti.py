"""The phone channel end to end through the signed events API: signatures, idempotency, call times,
the screen pop pushed to the agent's socket group, missed call → callback, new ticket from a call."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client
from django.utils import timezone

from kefu.channels import signing
from kefu.channels.cti import CtiAccountInput, call_ticket_create, cti_account_save
from kefu.channels.cti_selectors import call_handle_rows
from kefu.channels.models import Call, CallEvent, ChannelAccount, Contact
from kefu.conftest import login
from kefu.core.errors import DomainError
from kefu.performance.metrics import compute
from kefu.performance.periods import Period
from kefu.surveys.models import Callback
from kefu.tickets.choices import Channel
from kefu.tickets.models import Ticket
from kefu.tickets.services import TicketInput, ticket_create

pytestmark = pytest.mark.django_db

SECRET = "cti-secret-0123456789abcdef"
URL = "/api/v1/channels/calls/events"
T0 = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.get_fixed_timezone(480))


@pytest.fixture
def cti_account(manager_mike, front_team) -> ChannelAccount:
    return cti_account_save(actor=manager_mike, data=CtiAccountInput(name="呼叫中心", secret=SECRET, team=front_team, vendor="sim"))


def post(client: Client, account: ChannelAccount, event: dict[str, Any], *, secret: str = SECRET,
         ts: int | None = None, headers: dict[str, str] | None = None) -> Any:
    body = json.dumps(event, ensure_ascii=False).encode()
    h = headers if headers is not None else signing.signed_headers(account.pk, secret, body, timestamp=ts)
    return client.post(URL, body, content_type="application/json", headers=h)


def ev(n: int, kind: str, call: str = "c1", at: datetime = T0, **kw: Any) -> dict[str, Any]:
    return {"event_id": f"{call}-{n}", "type": kind, "call_id": call, "at": at.isoformat(), **kw}


# --- signatures -----------------------------------------------------------------------------------


def test_unsigned_forged_stale_and_unknown_requests_are_401_with_a_code(client, cti_account, agent_alice):
    event = ev(1, "ringing", caller="13812341234")
    assert post(client, cti_account, event, headers={}).json()["code"] == "signature_missing"
    r = post(client, cti_account, event, secret="wrong-secret-wrong-secret")
    assert (r.status_code, r.json()["code"]) == (401, "signature_invalid")
    r = post(client, cti_account, event, ts=int(time.time()) - 301)
    assert (r.status_code, r.json()["code"]) == (401, "signature_stale")
    body = json.dumps(event).encode()
    r = client.post(URL, body, content_type="application/json", headers=signing.signed_headers(cti_account.pk + 99, SECRET, body))
    assert (r.status_code, r.json()["code"]) == (401, "signature_unknown_account")
    # A signature over other bytes than the body sent (tampered in transit).
    h = signing.signed_headers(cti_account.pk, SECRET, body)
    r = client.post(URL, body.replace(b"1381234", b"1391234"), content_type="application/json", headers=h)
    assert r.json()["code"] == "signature_invalid"
    # A bearer token is no signature.
    r = login(client, agent_alice).post(URL, body, content_type="application/json")
    assert r.status_code == 401
    assert not Call.objects.exists() and not CallEvent.objects.exists()


def test_a_malformed_signed_event_is_422_and_kept_in_the_failure_list(client, cti_account):
    r = post(client, cti_account, {"event_id": "bad-1", "type": "exploded", "call_id": ""})
    assert r.status_code == 422
    assert set(r.json()["fields"]) >= {"type", "call_id"}
    failed = Contact.objects.get(account=cti_account, external_id="event:bad-1")
    assert failed.status == "failed" and b"exploded" in bytes(failed.raw)
    body = b"not json at all"
    r = client.post(URL, body, content_type="application/json", headers=signing.signed_headers(cti_account.pk, SECRET, body))
    assert r.status_code == 422
    assert Contact.objects.filter(account=cti_account, status="failed").count() == 2


# --- a call's life --------------------------------------------------------------------------------


def test_a_full_call_records_wait_talk_hold_and_wrap_up(client, cti_account, agent_alice, customer_wang):
    steps = [
        ev(1, "ringing", caller="+86 138-1234-1234", callee="95555", queue="信用卡", agent="alice"),
        ev(2, "answered", at=T0 + timedelta(seconds=12), agent="alice"),
        ev(3, "held", at=T0 + timedelta(seconds=60)),
        ev(4, "resumed", at=T0 + timedelta(seconds=90)),
        ev(5, "ended", at=T0 + timedelta(seconds=312)),
        ev(6, "wrapup", at=T0 + timedelta(seconds=340), wrap_seconds=28),
        ev(7, "recording", at=T0 + timedelta(seconds=345), recording_url="https://rec.example.cn/c1.mp3"),
    ]
    for s in steps:
        r = post(client, cti_account, s)
        assert r.status_code == 200, r.content
    call = Call.objects.get()
    assert (call.caller, call.customer, call.agent, call.queue) == ("13812341234", customer_wang, agent_alice, "信用卡")
    assert (call.state, call.wait_seconds, call.hold_seconds, call.talk_seconds, call.wrap_seconds) == ("ended", 12, 30, 270, 28)
    assert call.handle_seconds == 328
    assert call.recording_url.endswith("c1.mp3")
    contact = Contact.objects.get(account=cti_account, external_id="call:c1")
    assert contact.channel == "cti" and contact.status == "processed"
    assert call_handle_rows(start=T0 - timedelta(hours=1), end=T0 + timedelta(hours=1)) == [(agent_alice.pk, agent_alice.team_id, 328)]


def test_the_same_event_twice_is_one_event(client, cti_account, agent_alice):
    first = post(client, cti_account, ev(1, "ringing", caller="13900001111", agent="alice")).json()
    post(client, cti_account, ev(2, "answered", at=T0 + timedelta(seconds=5)))
    again = post(client, cti_account, ev(2, "answered", at=T0 + timedelta(seconds=50))).json()
    assert first["duplicate"] is False and again["duplicate"] is True
    assert CallEvent.objects.count() == 2
    assert Call.objects.get().wait_seconds == 5


# --- screen pop -----------------------------------------------------------------------------------


def _listen(group: str) -> tuple[Any, str]:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return layer, channel


def _receive(layer: Any, channel: str) -> dict[str, Any]:
    async def recv() -> dict[str, Any]:
        return await asyncio.wait_for(layer.receive(channel), timeout=2)

    return async_to_sync(recv)()["event"]


def test_ringing_pops_the_masked_customer_card_with_their_visible_open_tickets_on_the_agents_socket(
    client, cti_account, agent_alice, customer_wang, outsider_charlie, django_capture_on_commit_callbacks
):
    mine = ticket_create(actor=agent_alice, data=TicketInput(title="信用卡年费", customer=customer_wang))
    theirs = ticket_create(actor=outsider_charlie, data=TicketInput(title="售后维修", customer=customer_wang, team=outsider_charlie.team))
    layer, channel = _listen(f"user.{agent_alice.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        r = post(client, cti_account, ev(1, "ringing", caller="13812341234", agent="alice", queue="信用卡"))
    assert r.status_code == 200
    pop = _receive(layer, channel)
    assert pop["type"] == "call.pop"
    assert pop["caller"] == "138****1234" and "13812341234" not in json.dumps(pop)
    assert pop["customer"]["name"] == "王小明" and pop["customer"]["phone"] == "138****1234"
    numbers = [t["number"] for t in pop["open_tickets"]]
    assert mine.number in numbers and theirs.number not in numbers
    assert pop["new_ticket_url"].endswith(f"/calls/{pop['call']}/ticket/")
    assert Call.objects.get().popped_at is not None


def test_a_supervisor_sees_the_full_number_and_a_transfer_pops_the_new_agent(
    client, cti_account, agent_alice, lead_linda, django_capture_on_commit_callbacks
):
    lead_linda.can_see_contacts = True  # 可查看完整号码
    lead_linda.save(update_fields=["can_see_contacts"])
    layer, channel = _listen(f"user.{lead_linda.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        post(client, cti_account, ev(1, "ringing", caller="13700002222", agent="alice"))
        post(client, cti_account, ev(2, "answered", agent="alice"))
        post(client, cti_account, ev(3, "transferred", agent="linda"))
    pop = _receive(layer, channel)
    assert pop["caller"] == "13700002222" and pop["customer"] is None  # unknown number
    call = Call.objects.get()
    assert call.agent == lead_linda and call.transfers == 1


def test_a_call_ringing_in_the_queue_pops_on_the_team_group_without_tickets(
    client, cti_account, front_team, customer_wang, agent_alice, django_capture_on_commit_callbacks
):
    ticket_create(actor=agent_alice, data=TicketInput(title="信用卡年费", customer=customer_wang))
    layer, channel = _listen(f"team.{front_team.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        post(client, cti_account, ev(1, "ringing", caller="13812341234", queue="信用卡"))
    pop = _receive(layer, channel)
    assert pop["caller"] == "138****1234" and pop["open_tickets"] == []


# --- missed calls and tickets ---------------------------------------------------------------------


def test_a_missed_call_becomes_one_callback_of_the_team_and_an_unknown_caller_a_customer(
    client, cti_account, front_team, lead_linda
):
    post(client, cti_account, ev(1, "ringing", caller="13600003333", queue="信用卡"))
    post(client, cti_account, ev(2, "missed", at=T0 + timedelta(seconds=40)))
    post(client, cti_account, ev(3, "ended", at=T0 + timedelta(seconds=41)))
    call = Call.objects.get()
    assert call.state == "missed" and call.wait_seconds == 40
    cb = Callback.objects.get()
    assert cb.pk == call.callback_id and cb.team == front_team and cb.assignee == lead_linda and cb.status == "open"
    assert cb.customer.phones.get().number == "13600003333" and call.customer == cb.customer
    assert cb.due_at > T0 and "信用卡" in cb.notes and "13600003333" not in cb.notes


def test_an_answered_call_opens_no_callback(client, cti_account, agent_alice):
    post(client, cti_account, ev(1, "ringing", caller="13600003333", agent="alice"))
    post(client, cti_account, ev(2, "answered", at=T0 + timedelta(seconds=3)))
    post(client, cti_account, ev(3, "ended", at=T0 + timedelta(seconds=100)))
    assert not Callback.objects.exists()


def test_new_ticket_from_a_call_is_one_phone_ticket_linked_to_the_call(client, cti_account, agent_alice, outsider_charlie):
    post(client, cti_account, ev(1, "ringing", caller="13500004444", agent="alice"))
    call = Call.objects.get()
    with pytest.raises(DomainError):
        call_ticket_create(actor=outsider_charlie, call_pk=call.pk)
    r = login(client, agent_alice).post(f"/channels/calls/{call.pk}/ticket/")
    ticket = Ticket.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/tickets/{ticket.number}/")
    assert (ticket.channel, ticket.assignee, ticket.contact_phone) == (Channel.PHONE, agent_alice, "13500004444")
    assert ticket.customer is not None and ticket.customer.phones.get().number == "13500004444"
    assert call_ticket_create(actor=agent_alice, call_pk=call.pk) == ticket
    call.refresh_from_db()
    assert call.ticket == ticket
    page = client.get(f"/tickets/{ticket.number}/")
    assert b'data-call-state="ringing"' in page.content


def test_the_call_page_and_list_mask_numbers_for_agents(client, cti_account, agent_alice, customer_wang):
    post(client, cti_account, ev(1, "ringing", caller="13812341234", agent="alice"))
    call = Call.objects.get()
    login(client, agent_alice)
    for url in ("/channels/calls/", f"/channels/calls/{call.pk}/"):
        page = client.get(url)
        assert page.status_code == 200
        assert "138****1234" in page.content.decode() and "13812341234" not in page.content.decode()
    assert "王小明" in client.get(f"/channels/calls/{call.pk}/").content.decode()


def test_cti_accounts_need_a_long_secret_and_managers(manager_mike, agent_alice):
    with pytest.raises(DomainError) as short:
        cti_account_save(actor=manager_mike, data=CtiAccountInput(name="x", secret="short"))
    assert "secret" in short.value.fields
    with pytest.raises(DomainError):
        cti_account_save(actor=agent_alice, data=CtiAccountInput(name="x", secret=SECRET))
    saved = cti_account_save(actor=manager_mike, data=CtiAccountInput(name="x", secret=SECRET))
    assert SECRET not in saved.secret_encrypted and signing.webhook_secret(saved) == SECRET


def test_real_call_times_feed_the_aht_kpi_per_agent(client, cti_account, agent_alice, teammate_bob):
    def call(cid: str, agent: str, talk: int, wrap: int) -> None:
        post(client, cti_account, ev(1, "ringing", call=cid, caller="13812340000", agent=agent))
        post(client, cti_account, ev(2, "answered", call=cid, at=T0 + timedelta(seconds=10)))
        post(client, cti_account, ev(3, "ended", call=cid, at=T0 + timedelta(seconds=10 + talk), wrap_seconds=wrap))

    call("a1", "alice", 300, 28)
    call("a2", "alice", 250, 22)
    call("b1", "bob", 100, 20)
    post(client, cti_account, ev(1, "ringing", call="m1", caller="13812340001"))
    post(client, cti_account, ev(2, "missed", call="m1", at=T0 + timedelta(seconds=30)))  # no AHT
    table = compute(metrics=["call_aht"], period=Period.parse("2026-12"), group="agent")
    assert table.row(str(agent_alice.pk)).values["call_aht"] == 5.0  # (328 + 272) / 2 s
    assert table.row(str(teammate_bob.pk)).values["call_aht"] == 2.0
    assert (table.total.values["call_aht"], table.total.counts["call_aht"]) == (round(720 / 3 / 60, 2), 3)
