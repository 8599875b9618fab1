"""Customer care demo data (客户关怀演示数据), written through the real services: earn rules, three
rewards, a points history for the first customers (visits, purchases, one redemption), greeting
templates for birthdays, 春节 and 中秋, a few birthdays today and this week, and today's greetings
queued in the outbox (the clock sends them)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from kefu.accounts.models import User
from kefu.care import ledger, services
from kefu.care.choices import CareChannel, EarnKind, Occasion
from kefu.customers.models import Customer
from kefu.customers.services import customer_update

SEED = 20261209
REWARDS = [("免费精致洗车一次", 200, None), ("机油滤清器兑换券", 500, 20), ("保养工时八折券", 800, 10)]
TEMPLATES = [
    (
        Occasion.BIRTHDAY,
        CareChannel.SMS,
        "{name}，生日快乐",
        "尊敬的{name}：值此生日之际，全体服务顾问祝您生日快乐！凭本短信到店可享免费洗车一次。",
    ),
    (
        Occasion.SPRING_FESTIVAL,
        CareChannel.WECHAT,
        "{occasion}快乐",
        "{name}您好，{occasion}将至，祝您阖家幸福、出行平安！春节期间道路救援 24 小时服务。",
    ),
    (
        Occasion.MID_AUTUMN,
        CareChannel.SMS,
        "{occasion}快乐",
        "{name}您好，祝您{occasion}快乐，花好月圆！节后首保预约可享工时优惠。",
    ),
]


@dataclass
class CareDemoSummary:
    entries: int = 0
    greetings: int = 0


def load_care_demo(*, manager: User, desk: list[User], customers: int = 24) -> CareDemoSummary:
    rng = random.Random(SEED)
    summary = CareDemoSummary()
    ledger.earn_rule_set(actor=manager, kind=EarnKind.VISIT, points=50, valid_days=365)
    ledger.earn_rule_set(
        actor=manager, kind=EarnKind.AMOUNT, points=1, per_amount=Decimal("10"), valid_days=365
    )
    ledger.earn_rule_set(actor=manager, kind=EarnKind.SURVEY, points=20, valid_days=180)
    rewards = [ledger.reward_create(actor=manager, name=n, cost=c, stock=s) for n, c, s in REWARDS]
    for occasion, channel, subject, body in TEMPLATES:
        services.greeting_template_set(
            actor=manager, occasion=occasion, channel=channel, subject=subject, body=body
        )

    now = timezone.now()
    people = list(Customer.objects.order_by("pk")[:customers])
    for i, customer in enumerate(people):
        actor = desk[i % len(desk)] if desk else manager
        # A history of visits and purchases over the last months (older lots expire first).
        for n in range(1 + i % 4):
            when = now - timedelta(days=rng.randint(5, 300))
            ledger.points_earn(
                actor=actor,
                customer_id=customer.pk,
                kind=EarnKind.VISIT,
                idempotency_key=f"demo-visit-{customer.pk}-{n}",
                note="到店保养",
                now=when,
            )
            ledger.points_earn(
                actor=actor,
                customer_id=customer.pk,
                kind=EarnKind.AMOUNT,
                idempotency_key=f"demo-buy-{customer.pk}-{n}",
                amount=Decimal(rng.choice([380, 680, 1280, 2450])),
                note="保养消费",
                now=when,
            )
            summary.entries += 2
        if i % 4 == 3:  # four visits: 200 points and the purchases' points, enough for a car wash
            ledger.points_spend(
                actor=actor,
                customer_id=customer.pk,
                reward_id=rewards[0].pk,
                idempotency_key=f"demo-spend-{customer.pk}",
                now=now - timedelta(days=2),
            )
            summary.entries += 1
    # Birthdays: two today (greeted in today's outbox), a few later this week.
    today = timezone.localdate(now)
    for i, customer in enumerate(people[:6]):
        born = _birthday(today + timedelta(days=0 if i < 2 else i), 1975 + 3 * i)
        customer_update(actor=manager, customer=customer, birthday=born)
    if people:
        customer_update(actor=manager, customer=people[-1], care_opt_out=True)
    summary.greetings = services.greetings_queue(day=today, now=now)
    return summary


def _birthday(day: date, year: int) -> date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return day.replace(year=year, day=28)
