"""/api/v1/customers/: create, get, search. Contacts are masked per viewer in every response."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints

from kefu.accounts.api import ApiRequest
from kefu.accounts.models import User
from kefu.core.errors import DomainError, NotFound
from kefu.customers.errors import CustomerErrorCode
from kefu.customers.models import Customer, CustomerTier
from kefu.customers.selectors import contact_view, customer_get, customer_search
from kefu.customers.services import customer_create

router = Router(tags=["customers"])

# --- input types shared by every app's API ------------------------------------------------------------

# Ids reach the database as 64-bit integers; anything larger is bad input, not a crash.
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; refuse it at the edge rather than fail in the database.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _email(value: str) -> str:
    value = value.strip()
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError("is not a valid email address") from exc
    return value


# Strings of at most N characters, without NUL.
Text32 = Annotated[str, StringConstraints(max_length=32), AfterValidator(_no_nul)]
Text64 = Annotated[str, StringConstraints(max_length=64), AfterValidator(_no_nul)]
Text100 = Annotated[str, StringConstraints(max_length=100), AfterValidator(_no_nul)]
Text200 = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_nul)]
Text500 = Annotated[str, StringConstraints(max_length=500), AfterValidator(_no_nul)]
Text5000 = Annotated[str, StringConstraints(max_length=5000), AfterValidator(_no_nul)]
LongText = Annotated[str, StringConstraints(max_length=50_000), AfterValidator(_no_nul)]
Username = Annotated[str, StringConstraints(min_length=1, max_length=150), AfterValidator(_no_nul)]
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_no_nul), AfterValidator(_email)]


class StrictIn(Schema):
    """Input schemas refuse unknown fields, so a typo is a 422 rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


# --- output ---------------------------------------------------------------------------------------------


class UserRef(Schema):
    username: str
    name: str


class TierRef(Schema):
    id: int
    name: str


class CustomerSummary(Schema):
    """A customer as a ticket shows it."""

    id: int
    name: str
    tier: str | None
    is_vip: bool
    phone: str


class CustomerOut(Schema):
    id: int
    name: str
    tier: TierRef | None
    is_vip: bool
    phones: list[str]
    primary_phone: str
    email: str
    wechat_id: str
    id_number: str
    external_id: str | None
    account_manager: UserRef | None
    tags: list[str]
    notes: str
    contacts_masked: bool = Field(description="True when phones, ID number and email are masked for you.")
    created_at: datetime
    updated_at: datetime


class AssetOut(Schema):
    id: int
    kind: str
    identifier: str
    name: str
    attributes: dict[str, Any]


class DocumentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    created_at: datetime


class CustomerDetailOut(CustomerOut):
    assets: list[AssetOut]
    documents: list[DocumentOut]


class CustomerList(Schema):
    items: list[CustomerOut]


def user_ref(user: User | None) -> dict[str, str] | None:
    return {"username": user.username, "name": user.name} if user is not None else None


def customer_summary(customer: Customer | None, viewer: User) -> dict[str, Any] | None:
    if customer is None:
        return None
    return {
        "id": customer.pk,
        "name": customer.name,
        "tier": customer.tier.name if customer.tier_id and customer.tier else None,
        "is_vip": customer.is_vip,
        "phone": contact_view(customer=customer, viewer=viewer).primary_phone,
    }


def customer_out(customer: Customer, viewer: User, *, detail: bool = False) -> dict[str, Any]:
    contacts = contact_view(customer=customer, viewer=viewer)
    out: dict[str, Any] = {
        "id": customer.pk,
        "name": customer.name,
        "tier": {"id": customer.tier.pk, "name": customer.tier.name} if customer.tier_id and customer.tier else None,
        "is_vip": customer.is_vip,
        "phones": contacts.phones,
        "primary_phone": contacts.primary_phone,
        "email": contacts.email,
        "wechat_id": contacts.wechat_id,
        "id_number": contacts.id_number,
        "external_id": customer.external_id,
        "account_manager": user_ref(customer.account_manager),
        "tags": [t.name for t in customer.tags.all()],
        "notes": customer.notes,
        "contacts_masked": contacts.masked,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }
    if detail:
        out["assets"] = [
            {"id": a.pk, "kind": a.kind, "identifier": a.identifier, "name": a.name, "attributes": a.attributes}
            for a in customer.assets.all()
        ]
        out["documents"] = [
            {"id": d.pk, "name": d.name, "content_type": d.content_type, "size": d.size, "created_at": d.created_at}
            for d in customer.documents.all()
        ]
    return out


# --- endpoints ------------------------------------------------------------------------------------------


class CustomerIn(StrictIn):
    name: Text100 = ""
    phones: list[Text32] = Field(default_factory=list, max_length=10)
    email: Email = ""
    wechat_id: Text64 = ""
    id_number: Text32 = ""
    external_id: Text64 = ""
    tier_id: DbId | None = None
    is_vip: bool = False
    tags: list[Text32] = Field(default_factory=list, max_length=20)
    notes: Text5000 = ""


class CustomerSearch(Schema):
    q: Text100 = Field(description="A phone number, an email, an external ID or the start of a name.")
    limit: int = Field(20, ge=1, le=100)


def _tier(tier_id: int | None) -> CustomerTier | None:
    if tier_id is None:
        return None
    tier = CustomerTier.objects.filter(pk=tier_id).first()
    if tier is None:
        raise DomainError(code="tier_not_found", message=_("No such tier."), fields={"tier_id": [_("Unknown tier.")]})
    return tier


def _get(viewer: User, customer_id: int) -> Customer:
    customer = customer_get(viewer=viewer, customer_id=customer_id)
    if customer is None:
        raise NotFound(code=CustomerErrorCode.NOT_FOUND, message=_("Customer not found."))
    return customer


@router.post("/", response={201: CustomerDetailOut}, summary="Create a customer")
def customer_create_endpoint(request: ApiRequest, payload: CustomerIn) -> Status:
    customer = customer_create(
        actor=request.auth,
        name=payload.name,
        phones=payload.phones,
        email=payload.email,
        wechat_id=payload.wechat_id,
        id_number=payload.id_number,
        external_id=payload.external_id,
        tier=_tier(payload.tier_id),
        is_vip=payload.is_vip,
        tags=payload.tags,
        notes=payload.notes,
    )
    return Status(201, customer_out(_get(request.auth, customer.pk), request.auth, detail=True))


@router.get("/", response=CustomerList, summary="Search customers by phone, email, external ID or name")
def customer_search_endpoint(request: ApiRequest, params: Query[CustomerSearch]) -> dict[str, Any]:
    found = customer_search(viewer=request.auth, q=params.q, limit=params.limit)
    return {"items": [customer_out(c, request.auth) for c in found]}


@router.get("/{customer_id}", response=CustomerDetailOut, summary="Get a customer")
def customer_get_endpoint(request: ApiRequest, customer_id: DbId) -> dict[str, Any]:
    return customer_out(_get(request.auth, customer_id), request.auth, detail=True)
