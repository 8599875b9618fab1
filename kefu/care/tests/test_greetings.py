"""Greetings: birthdays and holidays by template, opt-out honoured, one greeting per customer and
date (the database refuses a second), the clock's day idempotent, sent on the first reachable channel."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from kefu.care import ledger, services
from kefu.care.choices import Occasion
from kefu.care.models import CareClock, CareMessage
from kefu.care.tests.conftest import NOW
from kefu.core.clock import run_pass
from kefu.core.errors import DomainError
from kefu.surveys.tests.conftest import gateway  # noqa: F401  (the SMS gateway stand-in)
from kefu.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SPRING = date(2027, 2, 6)
SPRING_NOW = datetime(2027, 2, 6, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
def templates(manager_mike):
    services.greeting_template_set(actor=manager_mike, occasion="birthday", channel="sms", subject="生日快乐", body="{name}，祝您生日快乐！")
    services.greeting_template_set(actor=manager_mike, occasion="spring_festival", channel="email", subject="新春快乐", body="{name}，{occasion}快乐！")


def test_birthdays_and_the_holiday_one_greeting_each(templates, tier_normal):
    born_today = CustomerFactory(name="张三", phones=["13900000001"], birthday=date(1990, 2, 6))
    plain = CustomerFactory(name="李四", email="li@example.com")
    CustomerFactory(name="王五", email="wu@example.com", care_opt_out=True)
    CustomerFactory(name="赵六", email="zhao@example.com", care_opt_out=True, birthday=date(1985, 2, 6))
    assert services.greetings_queue(day=SPRING, now=SPRING_NOW) == 2
    rows = {m.customer_id: m for m in CareMessage.objects.all()}
    assert set(rows) == {born_today.pk, plain.pk}
    assert (rows[born_today.pk].occasion, rows[born_today.pk].body) == ("birthday", "张三，祝您生日快乐！")
    assert (rows[plain.pk].occasion, rows[plain.pk].body, rows[plain.pk].channel) == ("spring_festival", f"李四，{Occasion.SPRING_FESTIVAL.label}快乐！", "email")


def test_the_day_run_again_greets_nobody_twice(templates, tier_normal):
    CustomerFactory(name="张三", birthday=date(1990, 2, 6))
    CustomerFactory(name="李四")
    assert services.greetings_queue(day=SPRING, now=SPRING_NOW) == 2
    assert services.greetings_queue(day=SPRING, now=SPRING_NOW + timedelta(hours=1)) == 0
    assert CareMessage.objects.count() == 2


def test_the_database_refuses_a_second_greeting_for_a_date(templates, customer_wang):
    services.greetings_queue(day=SPRING, now=SPRING_NOW)
    first = CareMessage.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        CareMessage.objects.create(
            customer=customer_wang, purpose="greeting", occasion="birthday", on_date=SPRING, channel="sms",
            subject="x", body="x", dedupe_key="another",
        )
    assert CareMessage.objects.get() == first


def test_no_template_no_greeting(customer_wang):
    assert services.greetings_queue(day=SPRING, now=SPRING_NOW) == 0


def test_a_leap_day_birthday_in_a_common_year(templates, tier_normal):
    leap = CustomerFactory(name="闰日", birthday=date(2000, 2, 29))
    services.greetings_queue(day=date(2027, 2, 28), now=SPRING_NOW)
    assert CareMessage.objects.get().customer_id == leap.pk


def test_the_clock_greets_and_sends_on_the_first_reachable_channel(templates, tier_normal, gateway):  # noqa: F811
    by_sms = CustomerFactory(name="张三", phones=["13900000001"], birthday=date(1990, 2, 6))
    by_mail = CustomerFactory(name="李四", email="li@example.com")
    nowhere = CustomerFactory(name="无联系")
    clock = services.care_clock_install(due_at=SPRING_NOW)
    run_pass(now=SPRING_NOW)  # the daily job queues, the send job is due at once
    run_pass(now=SPRING_NOW + timedelta(seconds=1))
    status = {m.customer_id: (m.status, m.channel) for m in CareMessage.objects.all()}
    assert status[by_sms.pk] == ("sent", "sms") and status[by_mail.pk] == ("sent", "email")
    assert status[nowhere.pk] == ("no_address", "email")
    assert [r["to"] for r in gateway.received] == ["13900000001"]
    assert [m.to for m in mail.outbox] == [["li@example.com"]]
    clock.refresh_from_db()
    assert clock.due_at == SPRING_NOW + timedelta(hours=1)
    # The next hour's run greets nobody again.
    run_pass(now=SPRING_NOW + timedelta(hours=1))
    assert CareMessage.objects.count() == 3 and len(gateway.received) == 1


def test_a_failing_gateway_is_retried_then_given_up(templates, tier_normal, gateway):  # noqa: F811
    gateway.status = 500
    customer = CustomerFactory(name="张三", phones=["13900000001"], birthday=date(1990, 2, 6))
    services.greetings_queue(day=SPRING, now=SPRING_NOW)
    message = CareMessage.objects.get(customer=customer)
    at = SPRING_NOW
    for attempt in range(1, 4):
        assert services.care_message_send(message_id=message.pk, due_at=message.send_due_at, now=at)
        message.refresh_from_db()
        assert message.attempts == attempt
        at = at + timedelta(minutes=31)
    assert message.status == "failed" and message.send_due_at is None
    assert not services.care_message_send(message_id=message.pk, due_at=at, now=at)


def test_an_opt_out_after_queueing_is_honoured(templates, tier_normal, gateway):  # noqa: F811
    customer = CustomerFactory(name="张三", phones=["13900000001"], birthday=date(1990, 2, 6))
    services.greetings_queue(day=SPRING, now=SPRING_NOW)
    customer.care_opt_out = True
    customer.save(update_fields=["care_opt_out"])
    message = CareMessage.objects.get()
    services.care_message_send(message_id=message.pk, due_at=message.send_due_at, now=SPRING_NOW)
    message.refresh_from_db()
    assert message.status == "failed" and message.error == "opted out" and gateway.received == []


def test_points_expiry_reminder_once_per_expiry_day(agent_alice, customer_wang, rules):
    lot = ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="visit", idempotency_key="v", now=NOW).entry
    assert lot.expires_on == NOW.date() + timedelta(days=30)
    day = NOW.date() + timedelta(days=1)
    assert services.expiry_reminders_queue(day=day, now=NOW) == 1
    assert services.expiry_reminders_queue(day=day + timedelta(days=1), now=NOW) == 0
    message = CareMessage.objects.get()
    assert message.purpose == "points_expiry" and "10" in message.body and "/care/p/" in message.body
    assert lot.expires_on.isoformat() in message.body


def test_an_opted_out_customer_gets_no_reminder(agent_alice, customer_wang, rules):
    customer_wang.care_opt_out = True
    customer_wang.save(update_fields=["care_opt_out"])
    ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="amount", amount=Decimal("100"), idempotency_key="a", now=NOW)
    assert services.expiry_reminders_queue(day=NOW.date() + timedelta(days=340), now=NOW) == 0


def test_the_daily_job_expires_points(agent_alice, customer_wang, rules):
    ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="visit", idempotency_key="v", now=NOW)
    later = NOW + timedelta(days=31)
    done = services.care_daily(day=later.date(), now=later)
    assert done["expired"] == 10
    assert CareClock.objects.count() == 0  # the daily work itself needs no clock row


def test_template_setup_refuses_bad_input(manager_mike, agent_alice):
    with pytest.raises(DomainError) as exc:
        services.greeting_template_set(actor=manager_mike, occasion="birthday", channel="fax", subject="x", body="y")
    assert exc.value.status == 422 and exc.value.fields.keys() == {"channel"}
    with pytest.raises(DomainError) as denied:
        services.greeting_template_set(actor=agent_alice, occasion="birthday", channel="sms", subject="x", body="y")
    assert denied.value.status == 403
