"""The loyalty ledger: rules, spending on rewards, expiry (first-expiring lots first), never below
zero, and the same answer for a replayed idempotency key."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from kefu.care import ledger
from kefu.care.models import LoyaltyAccount, LoyaltyEntry
from kefu.care.tests.conftest import NOW
from kefu.core.errors import DomainError
from kefu.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _balance(customer) -> int:
    return LoyaltyAccount.objects.get(customer=customer).balance


def test_points_by_rule(agent_alice, customer_wang, rules):
    visit = ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="visit", idempotency_key="v1", now=NOW)
    assert visit.entry.points == 10 and visit.entry.expires_on == NOW.date() + timedelta(days=30)
    bought = ledger.points_earn(
        actor=agent_alice, customer_id=customer_wang.pk, kind="amount", amount=Decimal("358.50"), idempotency_key="a1", now=NOW
    )
    assert bought.entry.points == 35  # 1 point per full 10 yuan
    assert _balance(customer_wang) == 45 and bought.entry.balance_after == 45
    with pytest.raises(DomainError) as small:
        ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="amount", amount=Decimal("9.99"), idempotency_key="a2", now=NOW)
    assert small.value.status == 422 and "amount" in small.value.fields


def test_no_rule_no_points(agent_alice, customer_wang):
    with pytest.raises(DomainError) as exc:
        ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="visit", idempotency_key="v1", now=NOW)
    assert exc.value.status == 422 and exc.value.fields.keys() == {"kind"}
    assert ledger.points_earn_for_survey(customer_id=customer_wang.pk, survey_id=1, now=NOW) is None


def test_a_replay_answers_the_same_and_changes_nothing(agent_alice, customer_wang, rules, mug):
    first = ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="amount", amount=Decimal("300"), idempotency_key="k-1", now=NOW)
    again = ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="amount", amount=Decimal("300"), idempotency_key="k-1", now=NOW)
    assert (again.entry.pk, again.entry.points, again.entry.balance_after, again.replayed) == (first.entry.pk, 30, 30, True)
    spent = ledger.points_spend(actor=agent_alice, customer_id=customer_wang.pk, reward_id=mug.pk, idempotency_key="s-1", now=NOW)
    replay = ledger.points_spend(actor=agent_alice, customer_id=customer_wang.pk, reward_id=mug.pk, idempotency_key="s-1", now=NOW)
    assert replay.entry.pk == spent.entry.pk and replay.replayed and not spent.replayed
    assert _balance(customer_wang) == 5 and LoyaltyEntry.objects.count() == 2


def test_a_used_key_with_another_request_is_refused(agent_alice, customer_wang, rules, mug):
    ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="visit", idempotency_key="k-1", now=NOW)
    with pytest.raises(DomainError) as exc:
        ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="amount", amount=Decimal("100"), idempotency_key="k-1", now=NOW)
    assert exc.value.status == 409 and exc.value.fields.keys() == {"idempotency_key"}
    with pytest.raises(DomainError):
        ledger.points_spend(actor=agent_alice, customer_id=customer_wang.pk, reward_id=mug.pk, idempotency_key="k-1", now=NOW)
    assert _balance(customer_wang) == 10


def test_the_key_names_one_customer(agent_alice, customer_wang, rules):
    other = CustomerFactory(name="李四")
    ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="visit", idempotency_key="k-1", now=NOW)
    with pytest.raises(DomainError) as exc:
        ledger.points_earn(actor=agent_alice, customer_id=other.pk, kind="visit", idempotency_key="k-1", now=NOW)
    assert exc.value.status == 409 and exc.value.fields.keys() == {"idempotency_key"}
    assert not LoyaltyEntry.objects.filter(account__customer=other).exists()


def test_keys_are_required_and_system_keys_reserved(agent_alice, customer_wang, rules):
    for key in ("", "  ", "sys:survey:1", "x" * 81):
        with pytest.raises(DomainError) as exc:
            ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="visit", idempotency_key=key, now=NOW)
        assert exc.value.status == 422 and exc.value.fields.keys() == {"idempotency_key"}


def test_never_below_zero(agent_alice, customer_wang, rules, mug):
    ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="visit", idempotency_key="v1", now=NOW)
    with pytest.raises(DomainError) as exc:
        ledger.points_spend(actor=agent_alice, customer_id=customer_wang.pk, reward_id=mug.pk, idempotency_key="s1", now=NOW)
    assert exc.value.code == "care_insufficient_points" and exc.value.status == 409 and "reward" in exc.value.fields
    assert _balance(customer_wang) == 10 and LoyaltyEntry.objects.filter(kind="spend").count() == 0


def test_stock_runs_out(agent_alice, customer_wang, rules, wash):
    ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="amount", amount=Decimal("500"), idempotency_key="a", now=NOW)
    ledger.points_spend(actor=agent_alice, customer_id=customer_wang.pk, reward_id=wash.pk, idempotency_key="s1", now=NOW)
    with pytest.raises(DomainError) as exc:
        ledger.points_spend(actor=agent_alice, customer_id=customer_wang.pk, reward_id=wash.pk, idempotency_key="s2", now=NOW)
    assert exc.value.code == "care_reward_unavailable"
    wash.refresh_from_db()
    assert wash.stock == 0 and _balance(customer_wang) == 40


def test_spends_take_the_first_expiring_points_and_dead_points_are_never_spent(agent_alice, customer_wang, rules, mug):
    # 10 visit points valid 30 days, then 30 purchase points valid a year.
    visit = ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="visit", idempotency_key="v", now=NOW).entry
    bought = ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="amount", amount=Decimal("300"), idempotency_key="a", now=NOW).entry
    ledger.points_spend(actor=agent_alice, customer_id=customer_wang.pk, reward_id=mug.pk, idempotency_key="s", now=NOW)
    visit.refresh_from_db()
    bought.refresh_from_db()
    assert (visit.remaining, bought.remaining) == (0, 15)
    # Another 10 visit points; 31 days later they are dead: the next spend expires them first and
    # then finds 15 live points, not 25.
    ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="visit", idempotency_key="v2", now=NOW)
    assert _balance(customer_wang) == 25
    with pytest.raises(DomainError) as exc:
        ledger.points_spend(actor=agent_alice, customer_id=customer_wang.pk, reward_id=mug.pk, idempotency_key="s2", now=NOW + timedelta(days=31))
    assert exc.value.code == "care_insufficient_points"
    # The refused spend rolled back with its expiry; the clock's expiry run writes it for good.
    assert ledger.points_expire_due(today=(NOW + timedelta(days=31)).date()) == 10
    assert _balance(customer_wang) == 15
    expired = LoyaltyEntry.objects.get(kind="expire")
    assert expired.points == -10 and expired.balance_after == 15
    assert ledger.points_expire_due(today=(NOW + timedelta(days=31)).date()) == 0


def test_the_balance_is_what_the_lots_hold(agent_alice, customer_wang, rules, mug):
    for i, amount in enumerate(["120", "260", "75", "990"]):
        ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="amount", amount=Decimal(amount), idempotency_key=f"a{i}", now=NOW)
    for i in range(3):
        ledger.points_spend(actor=agent_alice, customer_id=customer_wang.pk, reward_id=mug.pk, idempotency_key=f"s{i}", now=NOW)
    lots = sum(LoyaltyEntry.objects.filter(kind="earn").values_list("remaining", flat=True))
    total = sum(LoyaltyEntry.objects.values_list("points", flat=True))
    assert _balance(customer_wang) == lots == total == 144 - 75


def test_survey_points_once_per_survey(customer_wang, rules):
    first = ledger.points_earn_for_survey(customer_id=customer_wang.pk, survey_id=7, now=NOW)
    again = ledger.points_earn_for_survey(customer_id=customer_wang.pk, survey_id=7, now=NOW)
    assert first and again and again.replayed and again.entry.pk == first.entry.pk
    assert _balance(customer_wang) == 5


def test_setup_is_for_leads_and_managers(agent_alice, lead_linda):
    with pytest.raises(DomainError) as exc:
        ledger.reward_create(actor=agent_alice, name="杯子", cost=10)
    assert exc.value.status == 403
    assert ledger.reward_create(actor=lead_linda, name="杯子", cost=10).cost == 10
    with pytest.raises(DomainError) as bad:
        ledger.earn_rule_set(actor=lead_linda, kind="amount", points=1)
    assert bad.value.fields.keys() == {"per_amount"}


def test_a_new_rule_replaces_the_old(manager_mike, agent_alice, customer_wang, rules):
    ledger.earn_rule_set(actor=manager_mike, kind="visit", points=20, valid_days=60)
    got = ledger.points_earn(actor=agent_alice, customer_id=customer_wang.pk, kind="visit", idempotency_key="v", now=NOW)
    assert got.entry.points == 20
