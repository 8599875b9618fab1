from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kefu.care import ledger
from kefu.care.models import EarnRule, Reward

# A Wednesday at 10:00 in Shanghai.
NOW = datetime(2027, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def rules(manager_mike) -> dict[str, EarnRule]:
    return {
        "visit": ledger.earn_rule_set(actor=manager_mike, kind="visit", points=10, valid_days=30),
        "amount": ledger.earn_rule_set(actor=manager_mike, kind="amount", points=1, per_amount=Decimal("10"), valid_days=365),
        "survey": ledger.earn_rule_set(actor=manager_mike, kind="survey", points=5, valid_days=365),
    }


@pytest.fixture
def mug(manager_mike) -> Reward:
    return ledger.reward_create(actor=manager_mike, name="定制保温杯", cost=25)


@pytest.fixture
def wash(manager_mike) -> Reward:
    return ledger.reward_create(actor=manager_mike, name="免费洗车券", cost=10, stock=1)
