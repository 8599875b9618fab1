"""Reads: a customer's points and history, the rewards and rules, the outbox (addresses masked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet, Sum
from django.utils import timezone

from kefu.accounts.models import User
from kefu.care.access import is_staff_member
from kefu.care.choices import EntryKind, MessagePurpose
from kefu.care.models import (
    CareMessage,
    EarnRule,
    GreetingTemplate,
    HolidayDate,
    LoyaltyAccount,
    LoyaltyEntry,
    Reward,
)
from kefu.core.masking import mask_email, mask_phone


@dataclass(frozen=True)
class PointsSummary:
    customer_id: int
    balance: int
    expiring_points: int
    expiring_on: date | None
    entries: list[LoyaltyEntry]
    account: LoyaltyAccount | None


def points_summary_of(*, customer_id: int, limit: int = 50, today: date | None = None) -> PointsSummary:
    """Balance, the next expiry and the latest entries. No viewer check here: callers are the staff
    selector below and the customer's own signed link."""
    today = today or timezone.localdate()
    account = LoyaltyAccount.objects.filter(customer_id=customer_id).first()
    if account is None:
        return PointsSummary(customer_id, 0, 0, None, [], None)
    entries = list(LoyaltyEntry.objects.filter(account=account).select_related("reward").order_by("-created_at", "-id")[:limit])
    next_lot = (
        LoyaltyEntry.objects.filter(account=account, kind=EntryKind.EARN, remaining__gt=0, expires_on__gte=today)
        .order_by("expires_on").values_list("expires_on", flat=True).first()
    )
    expiring = 0
    if next_lot is not None:
        expiring = LoyaltyEntry.objects.filter(
            account=account, kind=EntryKind.EARN, remaining__gt=0, expires_on=next_lot
        ).aggregate(n=Sum("remaining"))["n"] or 0
    return PointsSummary(customer_id, account.balance, expiring, next_lot, entries, account)


def points_summary(*, viewer: User, customer_id: int, limit: int = 50) -> PointsSummary | None:
    if not is_staff_member(viewer):
        return None
    return points_summary_of(customer_id=customer_id, limit=limit)


def rewards_listed() -> list[Reward]:
    return list(Reward.objects.filter(is_active=True).order_by("cost", "name"))


def rules_active() -> list[EarnRule]:
    return list(EarnRule.objects.filter(is_active=True).order_by("kind"))


def templates_active() -> list[GreetingTemplate]:
    return list(GreetingTemplate.objects.filter(is_active=True).order_by("occasion"))


def holiday_dates() -> list[HolidayDate]:
    return list(HolidayDate.objects.order_by("date"))


def messages_list(*, viewer: User, purpose: str | None = None, limit: int = 100) -> QuerySet[CareMessage]:
    if not is_staff_member(viewer):
        return CareMessage.objects.none()
    qs = CareMessage.objects.select_related("customer").order_by("-created_at", "-id")
    if purpose in MessagePurpose.values:
        qs = qs.filter(purpose=purpose)
    return qs[:limit]


def shown_address(message: CareMessage, viewer: User) -> str:
    """The address the message went to, masked unless the viewer may see contacts."""
    if viewer.may_see_contacts or not message.address:
        return message.address
    return mask_email(message.address) if "@" in message.address else mask_phone(message.address)


def customer_messages(*, viewer: User, customer_id: int, limit: int = 10) -> list[CareMessage]:
    if not is_staff_member(viewer):
        return []
    return list(CareMessage.objects.filter(customer_id=customer_id).order_by("-created_at", "-id")[:limit])
