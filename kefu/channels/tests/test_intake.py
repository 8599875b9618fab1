"""The common part, against the real database: idempotent intake, failures kept with their raw
payload, retry and discard, threading, loop and noise protection, rate limit, secrets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kefu.channels import vault
from kefu.channels.choices import ContactStatus, DeliveryStatus
from kefu.channels.models import ChannelAccount, Contact, Delivery
from kefu.channels.services import (
    AccountInput,
    account_save,
    contact_discard,
    contact_receive,
    contact_retry,
    delivery_send,
)
from kefu.channels.tests.conftest import eml
from kefu.core.errors import DomainError, Forbidden
from kefu.tickets.choices import Channel, MessageKind, TicketStatus
from kefu.tickets.models import Ticket, TicketMessage
from kefu.tickets.services import ticket_add_message, ticket_change_status

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_mail_opens_an_email_ticket_for_the_sender(mailbox_account):
    contact, created = contact_receive(account=mailbox_account, raw=eml())
    assert created and contact.status == ContactStatus.PROCESSED and contact.opened_ticket
    ticket = contact.ticket
    assert ticket.channel == Channel.EMAIL and ticket.title == "咨询订单"
    assert ticket.customer.email == "wang@example.com" and ticket.customer.name == "王小明"
    assert ticket.team == mailbox_account.team
    assert bytes(contact.raw).startswith(b"From:")


def test_the_same_message_id_twice_makes_one_message(mailbox_account):
    first, created = contact_receive(account=mailbox_account, raw=eml())
    again, created_again = contact_receive(account=mailbox_account, raw=eml(body="重发的同一封"))
    assert created and not created_again and again.pk == first.pk
    assert Contact.objects.count() == 1 and Ticket.objects.count() == 1


def test_the_unique_constraint_holds_whatever_the_code_does(mailbox_account):
    from django.db import IntegrityError, transaction

    contact_receive(account=mailbox_account, raw=eml())
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(account=mailbox_account, channel="email", external_id="m1@example.com", raw=b"",
                               status="processed", received_at=timezone.now())


def test_a_reply_threads_by_in_reply_to_and_a_tag_and_the_open_ticket(mailbox_account):
    first, _ = contact_receive(account=mailbox_account, raw=eml())
    ticket = first.ticket
    by_ref, _ = contact_receive(account=mailbox_account, raw=eml(
        subject="Re: 咨询订单", body="补充一下", message_id="<m2@example.com>",
        headers="In-Reply-To: <m1@example.com>\r\nReferences: <m1@example.com>\r\n"))
    assert by_ref.ticket == ticket and not by_ref.opened_ticket
    by_tag, _ = contact_receive(account=mailbox_account, raw=eml(
        subject=f"回复：完全不同的主题 [#{ticket.number}]", message_id="<m3@example.com>"))
    assert by_tag.ticket == ticket
    by_window, _ = contact_receive(account=mailbox_account, raw=eml(subject="另一件事", message_id="<m4@example.com>"))
    assert by_window.ticket == ticket
    assert TicketMessage.objects.filter(ticket=ticket, from_customer=True).count() == 3


def test_a_tag_of_another_customers_ticket_opens_a_new_ticket(mailbox_account):
    first, _ = contact_receive(account=mailbox_account, raw=eml())
    other, _ = contact_receive(account=mailbox_account, raw=eml(
        subject=f"Re: [#{first.ticket.number}]", frm="李四 <li@example.com>", message_id="<x@example.com>"))
    assert other.opened_ticket and other.ticket != first.ticket


def test_outside_the_window_a_new_ticket_opens(mailbox_account):
    first, _ = contact_receive(account=mailbox_account, raw=eml())
    Ticket.objects.filter(pk=first.ticket_id).update(updated_at=timezone.now() - timedelta(hours=100))
    later, _ = contact_receive(account=mailbox_account, raw=eml(subject="新问题", message_id="<m9@example.com>"))
    assert later.opened_ticket and later.ticket != first.ticket


def test_a_mail_to_a_resolved_ticket_reopens_it(mailbox_account, manager_mike):
    first, _ = contact_receive(account=mailbox_account, raw=eml())
    ticket_change_status(actor=manager_mike, number=first.ticket.number, status=TicketStatus.RESOLVED)
    again, _ = contact_receive(account=mailbox_account, raw=eml(
        subject=f"Re: 咨询订单 [#{first.ticket.number}]", message_id="<m5@example.com>"))
    assert again.ticket == first.ticket
    assert Ticket.objects.get(pk=first.ticket_id).status != TicketStatus.RESOLVED


@pytest.mark.parametrize(
    ("headers", "frm", "reason"),
    [
        ("Auto-Submitted: auto-replied\r\n", "王小明 <wang@example.com>", "auto_submitted"),
        ("Precedence: bulk\r\n", "王小明 <wang@example.com>", "precedence"),
        ("Precedence: auto_reply\r\n", "王小明 <wang@example.com>", "precedence"),
        ("X-Autoreply: yes\r\n", "王小明 <wang@example.com>", "autoreply"),
        ("", "Mail Delivery System <MAILER-DAEMON@mx.example.com>", "bounce"),
        ("Return-Path: <>\r\n", "postmaster@example.com", "bounce"),
        ("", "客服中心 <kefu@example.cn>", "own_address"),
    ],
)
def test_noise_never_opens_a_ticket_nor_gets_an_answer(mailbox_account, headers, frm, reason):
    contact, _ = contact_receive(account=mailbox_account, raw=eml(headers=headers, frm=frm))
    assert contact.status == ContactStatus.IGNORED and contact.reason == reason
    assert Ticket.objects.count() == 0 and Delivery.objects.count() == 0


def test_per_sender_rate_limit(mailbox_account):
    ChannelAccount.objects.filter(pk=mailbox_account.pk).update(rate_limit_per_hour=3, thread_window_hours=0)
    mailbox_account.refresh_from_db()
    got = [contact_receive(account=mailbox_account, raw=eml(message_id=f"<r{i}@example.com>"))[0] for i in range(5)]
    assert [c.status for c in got] == ["processed"] * 3 + ["ignored"] * 2
    assert got[-1].reason == "rate_limited" and Ticket.objects.count() == 3
    # Someone else is not limited by it.
    other, _ = contact_receive(account=mailbox_account, raw=eml(frm="li@example.com", message_id="<o@example.com>"))
    assert other.status == ContactStatus.PROCESSED


def test_unparseable_bytes_are_kept_as_a_failure_then_retried_and_discarded(mailbox_account, manager_mike, agent_alice):
    contact, created = contact_receive(account=mailbox_account, raw=b"\r\n\r\n   ")
    assert created and contact.status == ContactStatus.FAILED and contact.error
    assert bytes(contact.raw) == b"\r\n\r\n   "
    with pytest.raises(Forbidden):
        contact_retry(actor=agent_alice, contact_id=contact.pk)
    again = contact_retry(actor=manager_mike, contact_id=contact.pk)
    assert again.status == ContactStatus.FAILED and again.attempts == 2
    gone = contact_discard(actor=manager_mike, contact_id=contact.pk)
    assert gone.status == ContactStatus.DISCARDED
    with pytest.raises(DomainError):
        contact_retry(actor=manager_mike, contact_id=contact.pk)


def test_a_processing_failure_rolls_back_the_ticket_and_keeps_the_contact(mailbox_account, manager_mike, settings):
    # No sender address at all: the ticket services are never reached, the contact says why.
    contact, _ = contact_receive(account=mailbox_account, raw=eml(frm="undisclosed-recipients:;"))
    assert contact.status == ContactStatus.FAILED and "no_sender" in contact.error
    assert Ticket.objects.count() == 0


def test_an_ignored_mail_retried_by_a_manager_opens_a_ticket(mailbox_account, manager_mike):
    contact, _ = contact_receive(account=mailbox_account, raw=eml(headers="Precedence: bulk\r\n"))
    assert contact.status == ContactStatus.IGNORED
    done = contact_retry(actor=manager_mike, contact_id=contact.pk)
    assert done.status == ContactStatus.PROCESSED and done.ticket is not None


def test_the_raw_payload_is_bounded(mailbox_account, manager_mike, settings):
    settings.KEFU_CHANNELS_RAW_MAX_BYTES = 1000
    contact, _ = contact_receive(account=mailbox_account, raw=eml(body="长" * 2000))
    assert contact.status == ContactStatus.PROCESSED
    assert len(bytes(contact.raw)) == 1000 and contact.raw_truncated and contact.raw_size > 1000


def test_an_agent_reply_goes_out_by_mail_in_the_thread(mailbox_account, agent_alice, tmp_path, mailoutbox):
    contact, _ = contact_receive(account=mailbox_account, raw=eml())
    ticket = contact.ticket
    msg = ticket_add_message(actor=agent_alice, number=ticket.number, kind=MessageKind.REPLY, body="您好，已为您查询。")
    d = Delivery.objects.get(message=msg)
    # The immediate task backend sent it at once.
    assert d.status == DeliveryStatus.SENT and d.attempts == 1
    assert d.in_reply_to == "m1@example.com" and "m1@example.com" in d.references
    assert d.subject == f"Re: 咨询订单 [#{ticket.number}]"
    files = list((tmp_path / "outbox").iterdir())
    assert len(files) == 1
    sent = files[0].read_bytes()
    assert b"In-Reply-To: <m1@example.com>" in sent and f"[#{ticket.number}]".encode() in sent
    # The ticket's own "there is a reply" notice stays silent: one mail per answer.
    assert mailoutbox == []
    # An internal note goes nowhere.
    note = ticket_add_message(actor=agent_alice, number=ticket.number, kind=MessageKind.NOTE, body="内部备注")
    assert not Delivery.objects.filter(message=note).exists()
    # The customer's answer to our mail threads by its In-Reply-To.
    answer, _ = contact_receive(account=mailbox_account, raw=eml(
        subject=f"Re: 咨询订单 [#{ticket.number}]", message_id="<ans@example.com>",
        headers=f"In-Reply-To: <{d.external_id}>\r\n", frm="其他地址 <wang@example.com>"))
    assert answer.ticket == ticket


def test_a_failing_send_is_retried_with_backoff_and_shown(mailbox_account, agent_alice, manager_mike):
    cfg = dict(mailbox_account.config, smtp_host="127.0.0.1", smtp_port=1, smtp_security="none")
    ChannelAccount.objects.filter(pk=mailbox_account.pk).update(config=cfg)
    contact, _ = contact_receive(account=mailbox_account, raw=eml())
    msg = ticket_add_message(actor=agent_alice, number=contact.ticket.number, kind=MessageKind.REPLY, body="回复")
    d = Delivery.objects.get(message=msg)
    assert d.status == DeliveryStatus.PENDING and d.attempts == 1 and d.last_error
    assert d.next_attempt_at > timezone.now()
    # The clock's later attempts, until it gives up.
    for _ in range(10):
        d.refresh_from_db()
        if d.next_attempt_at is None:
            break
        assert delivery_send(delivery_id=d.pk, due_at=d.next_attempt_at, now=d.next_attempt_at)
    d.refresh_from_db()
    assert d.status == DeliveryStatus.FAILED and d.attempts == 8
    # A claim with a stale due time does nothing.
    assert not delivery_send(delivery_id=d.pk, due_at=timezone.now())


def test_secrets_are_encrypted_and_kept_when_left_empty(mailbox_account, manager_mike):
    assert mailbox_account.secret_encrypted and "s3cret" not in mailbox_account.secret_encrypted
    assert vault.decrypt(mailbox_account.secret_encrypted) == "s3cret-pass"
    saved = account_save(
        actor=manager_mike, account_id=mailbox_account.pk,
        data=AccountInput(name="客服邮箱", config=mailbox_account.config, secret=""),
    )
    assert vault.decrypt(saved.secret_encrypted) == "s3cret-pass"


def test_account_settings_are_checked(manager_mike, agent_alice):
    with pytest.raises(DomainError) as err:
        account_save(actor=manager_mike, data=AccountInput(name="x", config={"source": "imap", "imap_port": "99999"}))
    assert {"imap_host", "username", "imap_port", "from_address"} <= set(err.value.fields)
    with pytest.raises(Forbidden):
        account_save(actor=agent_alice, data=AccountInput(name="x", config={}))
