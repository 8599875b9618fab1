"""The loyalty ledger (客户积分): earn by rule, spend on a listed reward, expire.

Every change locks the customer's account row first, so changes of one account run one at a time;
the balance is checked under that lock and the database refuses a negative one as well. Each
request carries an idempotency key: the entry it wrote is stored with the key and a digest of what
was asked, so a replay (a retry after a lost answer, a double click) gets the same entry back and
changes nothing, and a different request under a used key is refused (409, field idempotency_key, as for tickets).
Earned points are lots that expire on their day; spends take the lots that expire first, and a lot
past its day is expired (under the same lock) before any change, so a spend never uses dead points.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.care.access import require_care_manager, require_staff
from kefu.care.choices import EarnKind, EntryKind
from kefu.care.errors import CareErrorCode
from kefu.care.models import EarnRule, LoyaltyAccount, LoyaltyEntry, Reward
from kefu.core.errors import Conflict, DomainError
from kefu.customers.models import Customer

MAX_KEY = 80
SYSTEM_PREFIX = "sys:"


@dataclass(frozen=True)
class PointsResult:
    entry: LoyaltyEntry
    replayed: bool


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(code=CareErrorCode.INVALID_INPUT, message=message, fields={field: [message]}, status=422)


def _reused() -> DomainError:
    message = _("This idempotency key was already used for a different request.")
    return Conflict(code=CareErrorCode.IDEMPOTENCY_MISMATCH, message=message, fields={"idempotency_key": [message]})


def _digest(**parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _client_key(key: str) -> str:
    key = (key or "").strip()
    if not key:
        raise _invalid("idempotency_key", _("Give an idempotency key (any unique text per request)."))
    if len(key) > MAX_KEY or key.startswith(SYSTEM_PREFIX):
        raise _invalid("idempotency_key", _("The idempotency key is at most 80 characters and may not start with sys:."))
    return f"u:{key}"


def account_for(customer_id: int) -> LoyaltyAccount:
    """The customer's account, created on first use (get_or_create copes with two first uses at once)."""
    account, _created = LoyaltyAccount.objects.get_or_create(customer_id=customer_id)
    return account


def _lock(customer_id: int) -> LoyaltyAccount:
    if not Customer.objects.filter(pk=customer_id).exists():
        raise _invalid("customer", _("Customer not found."))
    account_for(customer_id)
    return LoyaltyAccount.objects.select_for_update().get(customer_id=customer_id)


def _replayed(key: str, digest: str) -> LoyaltyEntry | None:
    found = LoyaltyEntry.objects.filter(idempotency_key=key).first()
    if found is None:
        return None
    if found.request_digest != digest:
        raise _reused()
    return found


def _expire_due(account: LoyaltyAccount, today: date) -> int:
    """Expire the account's lots whose last day is before `today` (the account is locked)."""
    lots = list(
        LoyaltyEntry.objects.select_for_update()
        .filter(account=account, kind=EntryKind.EARN, remaining__gt=0, expires_on__lt=today)
        .order_by("expires_on", "id")
    )
    total = sum(lot.remaining for lot in lots)
    if not total:
        return 0
    LoyaltyEntry.objects.filter(pk__in=[lot.pk for lot in lots]).update(remaining=0)
    account.balance -= total
    account.save(update_fields=["balance", "updated_at"])
    last = max(lot.expires_on for lot in lots if lot.expires_on)
    LoyaltyEntry.objects.create(
        account=account, kind=EntryKind.EXPIRE, points=-total, balance_after=account.balance,
        note=_("Points valid until %(day)s expired") % {"day": last.isoformat()},
    )
    return total


def _write(account: LoyaltyAccount, key: str, digest: str, **fields: object) -> LoyaltyEntry:
    try:
        with transaction.atomic():
            return LoyaltyEntry.objects.create(account=account, idempotency_key=key, request_digest=digest, **fields)  # type: ignore[arg-type]
    except IntegrityError:
        # The same key on another account (the account locks do not serialise those): the digest
        # names the customer, so this is a different request.
        if _replayed(key, digest) is not None:  # pragma: no cover - same account is serialised by its lock
            raise
        raise _reused() from None


def _earn_points(rule: EarnRule, amount: Decimal | None) -> int:
    if rule.kind != EarnKind.AMOUNT:
        return rule.points
    if amount is None or amount <= 0:
        raise _invalid("amount", _("Give the amount spent."))
    per = rule.per_amount or Decimal(1)
    points = int(amount // per) * rule.points
    if points < 1:
        raise _invalid("amount", _("The amount is below what earns a point."))
    return points


def _earn(
    *, actor: User | None, customer_id: int, kind: str, key: str, amount: Decimal | None, note: str, now: datetime
) -> PointsResult:
    if kind not in EarnKind.values:
        raise _invalid("kind", _("Choose how the points were earned."))
    if amount is not None and not Decimal("0") <= amount < Decimal("1000000000"):
        raise _invalid("amount", _("Give the amount spent."))
    digest = _digest(op="earn", customer=customer_id, kind=kind, amount=amount)
    today = timezone.localdate(now)
    with transaction.atomic():
        account = _lock(customer_id)
        replay = _replayed(key, digest)
        if replay is not None:
            return PointsResult(replay, True)
        rule = EarnRule.objects.filter(kind=kind, is_active=True).first()
        if rule is None:
            raise _invalid("kind", _("No active rule earns points this way."))
        points = _earn_points(rule, amount)
        _expire_due(account, today)
        account.balance += points
        account.save(update_fields=["balance", "updated_at"])
        entry = _write(
            account, key, digest, kind=EntryKind.EARN, earned_by=kind, points=points, remaining=points,
            expires_on=today + timedelta(days=rule.valid_days), balance_after=account.balance, amount=amount,
            note=note.strip()[:200], actor=actor,
        )
    return PointsResult(entry, False)


def points_earn(
    *, actor: User, customer_id: int, kind: str, idempotency_key: str, amount: Decimal | None = None, note: str = "",
    now: datetime | None = None,
) -> PointsResult:
    """Staff record a visit or a purchase (`amount` in yuan): points by the active rule of `kind`,
    valid for the rule's days. Replaying `idempotency_key` returns the first entry."""
    require_staff(actor)
    return _earn(
        actor=actor, customer_id=customer_id, kind=kind, key=_client_key(idempotency_key), amount=amount, note=note,
        now=now or timezone.now(),
    )


def points_earn_for_survey(*, customer_id: int, survey_id: int, now: datetime | None = None) -> PointsResult | None:
    """A system write (the survey reaction): the survey rule's points, once per survey. None when no
    survey rule is active."""
    if not EarnRule.objects.filter(kind=EarnKind.SURVEY, is_active=True).exists():
        return None
    return _earn(
        actor=None, customer_id=customer_id, kind=EarnKind.SURVEY, key=f"{SYSTEM_PREFIX}survey:{survey_id}",
        amount=None, note=_("Survey answered"), now=now or timezone.now(),
    )


def points_earn_for_visit(*, customer_id: int, appointment_id: int, now: datetime | None = None) -> PointsResult | None:
    """A system write: the visit rule's points for an appointment that was done, once per appointment."""
    if not EarnRule.objects.filter(kind=EarnKind.VISIT, is_active=True).exists():
        return None
    return _earn(
        actor=None, customer_id=customer_id, kind=EarnKind.VISIT, key=f"{SYSTEM_PREFIX}visit:{appointment_id}",
        amount=None, note=_("Service visit"), now=now or timezone.now(),
    )


def _spend(*, actor: User | None, customer_id: int, reward_id: int, key: str, now: datetime) -> PointsResult:
    digest = _digest(op="spend", customer=customer_id, reward=reward_id)
    today = timezone.localdate(now)
    with transaction.atomic():
        account = _lock(customer_id)
        replay = _replayed(key, digest)
        if replay is not None:
            return PointsResult(replay, True)
        reward = Reward.objects.select_for_update().filter(pk=reward_id, is_active=True).first()
        if reward is None:
            raise _invalid("reward", _("Choose a listed reward."))
        if reward.stock is not None and reward.stock < 1:
            raise Conflict(code=CareErrorCode.REWARD_UNAVAILABLE, message=_("This reward is out of stock."), fields={"reward": [_("Out of stock.")]})
        _expire_due(account, today)
        if account.balance < reward.cost:
            message = _("Not enough points: %(balance)s, the reward takes %(cost)s.") % {"balance": account.balance, "cost": reward.cost}
            raise Conflict(code=CareErrorCode.INSUFFICIENT_POINTS, message=message, fields={"reward": [message]})
        left = reward.cost
        for lot in (
            LoyaltyEntry.objects.select_for_update()
            .filter(account=account, kind=EntryKind.EARN, remaining__gt=0)
            .order_by("expires_on", "id")
        ):
            take = min(lot.remaining, left)
            lot.remaining -= take
            lot.save(update_fields=["remaining"])
            left -= take
            if not left:
                break
        account.balance -= reward.cost
        account.save(update_fields=["balance", "updated_at"])
        if reward.stock is not None:
            reward.stock -= 1
            reward.save(update_fields=["stock"])
        entry = _write(
            account, key, digest, kind=EntryKind.SPEND, points=-reward.cost, balance_after=account.balance,
            reward=reward, note=reward.name, actor=actor,
        )
    return PointsResult(entry, False)


def points_spend(
    *, actor: User, customer_id: int, reward_id: int, idempotency_key: str, now: datetime | None = None
) -> PointsResult:
    """Redeem a listed reward for the customer: the reward's points come off the lots expiring first.
    Not enough points or no stock: 409, nothing changes. A replay returns the first entry."""
    require_staff(actor)
    return _spend(actor=actor, customer_id=customer_id, reward_id=reward_id, key=_client_key(idempotency_key), now=now or timezone.now())


def points_spend_by_customer(
    *, account: LoyaltyAccount, reward_id: int, idempotency_key: str, now: datetime | None = None
) -> PointsResult:
    """The customer redeems on their points page (the signed link gave `account`); the form carries a
    fresh key, so a double submit redeems once."""
    return _spend(
        actor=None, customer_id=account.customer_id, reward_id=reward_id, key=_client_key(f"portal:{idempotency_key}"),
        now=now or timezone.now(),
    )


def points_expire_due(*, today: date) -> int:
    """The clock: expire every lot past its day, one account at a time. Returns the points expired."""
    total = 0
    ids = list(
        LoyaltyEntry.objects.filter(kind=EntryKind.EARN, remaining__gt=0, expires_on__lt=today)
        .values_list("account__customer_id", flat=True).distinct()
    )
    for customer_id in ids:
        with transaction.atomic():
            total += _expire_due(LoyaltyAccount.objects.select_for_update().get(customer_id=customer_id), today)
    return total


# --- setup (team leads, managers, admins) ----------------------------------------------------------------


def earn_rule_set(
    *, actor: User, kind: str, points: int, per_amount: Decimal | None = None, valid_days: int = 365
) -> EarnRule:
    """Make this the active rule of `kind`; the previous one stays, inactive, for the record."""
    require_care_manager(actor)
    if kind not in EarnKind.values:
        raise _invalid("kind", _("Choose how the points are earned."))
    if points < 1:
        raise _invalid("points", _("At least one point."))
    if valid_days < 1:
        raise _invalid("valid_days", _("Points stay valid at least one day."))
    if kind == EarnKind.AMOUNT and (per_amount is None or per_amount <= 0):
        raise _invalid("per_amount", _("Give the amount that earns the points."))
    with transaction.atomic():
        EarnRule.objects.filter(kind=kind, is_active=True).update(is_active=False)
        return EarnRule.objects.create(
            kind=kind, points=points, per_amount=per_amount if kind == EarnKind.AMOUNT else None, valid_days=valid_days
        )


def reward_create(*, actor: User, name: str, cost: int, stock: int | None = None) -> Reward:
    """List a reward (team leads and managers)."""
    require_care_manager(actor)
    if not name.strip():
        raise _invalid("name", _("Name the reward."))
    if cost < 1:
        raise _invalid("cost", _("A reward costs at least one point."))
    if stock is not None and stock < 0:
        raise _invalid("stock", _("Stock cannot be negative."))
    return Reward.objects.create(name=name.strip()[:100], cost=cost, stock=stock)
