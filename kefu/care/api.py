"""/api/v1/care/: a customer's points (balance, history, earn, redeem under an idempotency key), the
rewards and earn rules, greeting templates, holiday dates, care preferences and the outbox."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from kefu.accounts.api import ApiRequest
from kefu.care import ledger, occasions, selectors, services
from kefu.care.access import require_staff
from kefu.care.choices import Occasion
from kefu.care.errors import CareErrorCode
from kefu.care.models import CareMessage, EarnRule, GreetingTemplate, LoyaltyEntry, Reward
from kefu.core.apitypes import ApiDate
from kefu.core.errors import DomainError
from kefu.customers.api import DbId, StrictIn, Text100, Text200, Text500
from kefu.customers.selectors import customer_get
from kefu.customers.services import customer_update

router = Router(tags=["care"])

Amount = Annotated[Decimal, Field(gt=0, lt=1_000_000_000, max_digits=12, decimal_places=2)]
Points = Annotated[int, Field(ge=1, le=10_000_000)]

KEY_DOC = (
    "Send an `Idempotency-Key` header (or `idempotency_key` in the body): a replay answers the same entry "
    "(201 again, with `Idempotent-Replayed: true`) and changes nothing; the same key with another request is a 409."
)


class CareEntryOut(Schema):
    id: int
    kind: str
    earned_by: str
    points: int
    balance_after: int
    expires_on: date | None
    remaining: int
    reward_id: int | None
    note: str
    created_at: datetime


class CarePointsOut(Schema):
    customer_id: int
    balance: int
    expiring_points: int
    expiring_on: date | None
    entries: list[CareEntryOut]


class CareEarnIn(StrictIn):
    kind: Literal["visit", "amount"]
    amount: Amount | None = None
    note: Text200 = ""
    idempotency_key: Text100 | None = None


class CareSpendIn(StrictIn):
    reward: DbId
    idempotency_key: Text100 | None = None


class CareRewardIn(StrictIn):
    name: Text100
    cost: Points
    stock: Annotated[int, Field(ge=0, le=10_000_000)] | None = None


class CareRewardOut(Schema):
    id: int
    name: str
    cost: int
    stock: int | None


class CareRuleIn(StrictIn):
    kind: Literal["visit", "amount", "survey"]
    points: Points
    per_amount: Amount | None = None
    valid_days: Annotated[int, Field(ge=1, le=3650)] = 365


class CareRuleOut(Schema):
    id: int
    kind: str
    points: int
    per_amount: Decimal | None
    valid_days: int


class CareTemplateIn(StrictIn):
    occasion: Literal["birthday", "new_year", "spring_festival", "lantern", "dragon_boat", "mid_autumn", "national_day"]
    channel: Literal["sms", "email", "wechat"]
    subject: Text100
    body: Text500


class CareTemplateOut(Schema):
    id: int
    occasion: str
    channel: str
    subject: str
    body: str


class CareHolidayIn(StrictIn):
    occasion: Literal["new_year", "spring_festival", "lantern", "dragon_boat", "mid_autumn", "national_day"]
    date: ApiDate


class CareHolidayOut(Schema):
    occasion: str
    name: str
    date: date


class CareHolidayQuery(Schema):
    year: Annotated[int, Field(ge=1900, le=2999)] | None = None


class CarePrefsIn(StrictIn):
    birthday: ApiDate | None = None
    care_opt_out: bool | None = None


class CarePrefsOut(Schema):
    customer_id: int
    birthday: date | None
    care_opt_out: bool


class CareMessageOut(Schema):
    id: int
    customer_id: int
    purpose: str
    occasion: str
    on_date: date
    channel: str
    address: str
    status: str
    created_at: datetime
    sent_at: datetime | None


class CareMessageQuery(Schema):
    purpose: Literal["greeting", "points_expiry"] | None = None


def entry_out(e: LoyaltyEntry) -> CareEntryOut:
    return CareEntryOut(
        id=e.pk, kind=e.kind, earned_by=e.earned_by, points=e.points, balance_after=e.balance_after, expires_on=e.expires_on,
        remaining=e.remaining, reward_id=e.reward_id, note=e.note, created_at=e.created_at,
    )


def reward_out(r: Reward) -> CareRewardOut:
    return CareRewardOut(id=r.pk, name=r.name, cost=r.cost, stock=r.stock)


def rule_out(r: EarnRule) -> CareRuleOut:
    return CareRuleOut(id=r.pk, kind=r.kind, points=r.points, per_amount=r.per_amount, valid_days=r.valid_days)


def template_out(t: GreetingTemplate) -> CareTemplateOut:
    return CareTemplateOut(id=t.pk, occasion=t.occasion, channel=t.channel, subject=t.subject, body=t.body)


def _customer_id(request: ApiRequest, customer_id: int) -> int:
    if customer_get(viewer=request.auth, customer_id=customer_id) is None:
        raise DomainError(code=CareErrorCode.NOT_FOUND, message=_("Customer not found."), status=404)
    return customer_id


def _key(header: str | None, body: str | None) -> str:
    return (header or body or "").strip()


@router.get("/customers/{customer_id}/points", response=CarePointsOut)
def points(request: ApiRequest, customer_id: DbId) -> CarePointsOut:
    s = selectors.points_summary(viewer=request.auth, customer_id=_customer_id(request, customer_id), limit=100)
    assert s is not None  # customer_get already refused non-staff
    return CarePointsOut(
        customer_id=s.customer_id, balance=s.balance, expiring_points=s.expiring_points, expiring_on=s.expiring_on,
        entries=[entry_out(e) for e in s.entries],
    )


@router.post("/customers/{customer_id}/points/earn", response={201: CareEntryOut}, description=KEY_DOC)
def earn(
    request: ApiRequest, response: HttpResponse, customer_id: DbId, payload: CareEarnIn,
    idempotency_key: Header[Text100 | None] = None,  # type: ignore[type-arg]
) -> Status:
    result = ledger.points_earn(
        actor=request.auth, customer_id=_customer_id(request, customer_id), kind=payload.kind, amount=payload.amount,
        note=payload.note, idempotency_key=_key(idempotency_key, payload.idempotency_key),
    )
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, entry_out(result.entry))


@router.post("/customers/{customer_id}/points/spend", response={201: CareEntryOut}, description=KEY_DOC)
def spend(
    request: ApiRequest, response: HttpResponse, customer_id: DbId, payload: CareSpendIn,
    idempotency_key: Header[Text100 | None] = None,  # type: ignore[type-arg]
) -> Status:
    result = ledger.points_spend(
        actor=request.auth, customer_id=_customer_id(request, customer_id), reward_id=payload.reward,
        idempotency_key=_key(idempotency_key, payload.idempotency_key),
    )
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, entry_out(result.entry))


@router.patch("/customers/{customer_id}/preferences", response=CarePrefsOut)
def preferences(request: ApiRequest, customer_id: DbId, payload: CarePrefsIn) -> CarePrefsOut:
    customer = customer_get(viewer=request.auth, customer_id=customer_id)
    if customer is None:
        raise DomainError(code=CareErrorCode.NOT_FOUND, message=_("Customer not found."), status=404)
    fields = payload.model_dump(exclude_unset=True)
    if fields.get("birthday") and fields["birthday"] > timezone.localdate():
        message = _("A birthday lies in the past.")
        raise DomainError(code=CareErrorCode.INVALID_INPUT, message=message, fields={"birthday": [message]}, status=422)
    if "care_opt_out" in fields and fields["care_opt_out"] is None:
        fields.pop("care_opt_out")
    if fields:
        customer_update(actor=request.auth, customer=customer, **fields)
    return CarePrefsOut(customer_id=customer.pk, birthday=customer.birthday, care_opt_out=customer.care_opt_out)


@router.get("/rewards", response=list[CareRewardOut])
def rewards(request: ApiRequest) -> list[CareRewardOut]:
    require_staff(request.auth)
    return [reward_out(r) for r in selectors.rewards_listed()]


@router.post("/rewards", response={201: CareRewardOut})
def reward_add(request: ApiRequest, payload: CareRewardIn) -> Status:
    return Status(201, reward_out(ledger.reward_create(actor=request.auth, name=payload.name, cost=payload.cost, stock=payload.stock)))


@router.get("/rules", response=list[CareRuleOut])
def rules(request: ApiRequest) -> list[CareRuleOut]:
    require_staff(request.auth)
    return [rule_out(r) for r in selectors.rules_active()]


@router.post("/rules", response={201: CareRuleOut})
def rule_set(request: ApiRequest, payload: CareRuleIn) -> Status:
    rule = ledger.earn_rule_set(
        actor=request.auth, kind=payload.kind, points=payload.points, per_amount=payload.per_amount, valid_days=payload.valid_days
    )
    return Status(201, rule_out(rule))


@router.get("/templates", response=list[CareTemplateOut])
def templates(request: ApiRequest) -> list[CareTemplateOut]:
    require_staff(request.auth)
    return [template_out(t) for t in selectors.templates_active()]


@router.post("/templates", response={201: CareTemplateOut})
def template_set(request: ApiRequest, payload: CareTemplateIn) -> Status:
    t = services.greeting_template_set(
        actor=request.auth, occasion=payload.occasion, channel=payload.channel, subject=payload.subject, body=payload.body
    )
    return Status(201, template_out(t))


@router.get("/holidays", response=list[CareHolidayOut])
def holidays(request: ApiRequest, params: Query[CareHolidayQuery]) -> list[CareHolidayOut]:  # type: ignore[type-arg]
    """The greeting days of a year: fixed ones, the built-in lunar table and the configured dates."""
    require_staff(request.auth)
    year = params.year or timezone.localdate().year
    configured = services.configured_dates()
    labels = dict(Occasion.choices)
    out = []
    for occasion in occasions.PRECEDENCE[1:]:
        day = occasions.holiday_date(occasion, year, configured)
        if day is not None:
            out.append(CareHolidayOut(occasion=occasion, name=str(labels[occasion]), date=day))
    return sorted(out, key=lambda h: h.date)


@router.post("/holidays", response={201: CareHolidayOut})
def holiday_set(request: ApiRequest, payload: CareHolidayIn) -> Status:
    h = services.holiday_date_set(actor=request.auth, occasion=payload.occasion, day=payload.date)
    return Status(201, CareHolidayOut(occasion=h.occasion, name=str(h.get_occasion_display()), date=h.date))


@router.get("/messages", response=list[CareMessageOut])
def messages(request: ApiRequest, params: Query[CareMessageQuery]) -> list[CareMessageOut]:  # type: ignore[type-arg]
    """The outbox, newest first (addresses masked unless the caller may see contacts)."""
    require_staff(request.auth)
    rows: list[CareMessage] = list(selectors.messages_list(viewer=request.auth, purpose=params.purpose))
    return [
        CareMessageOut(
            id=m.pk, customer_id=m.customer_id, purpose=m.purpose, occasion=m.occasion, on_date=m.on_date, channel=m.channel,
            address=selectors.shown_address(m, request.auth), status=m.status, created_at=m.created_at, sent_at=m.sent_at,
        )
        for m in rows
    ]
