"""Writes to customer data. Every write goes through here."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import DomainError, Forbidden
from kefu.customers.errors import CustomerErrorCode
from kefu.customers.models import Customer, CustomerDocument, CustomerPhone, CustomerTier, Tag
from kefu.customers.uploads import check_upload

_PHONE_CLEAN = re.compile(r"[\s\-()（）]")
_PHONE_OK = re.compile(r"^\+?\d{5,20}$")


def normalize_phone(raw: str) -> str:
    """Strip spaces, dashes and brackets, and a leading +86 / 0086 on 11-digit mainland mobiles."""
    v = _PHONE_CLEAN.sub("", raw or "")
    for prefix in ("+86", "0086"):
        if v.startswith(prefix) and len(v) == len(prefix) + 11:
            v = v[len(prefix) :]
    if not _PHONE_OK.match(v):
        raise DomainError(
            code=CustomerErrorCode.INVALID_PHONE,
            message=_("Invalid phone number: %(value)s") % {"value": raw},
            fields={"phone": [_("Enter digits only, 5 to 20 of them.")]},
        )
    return v


@dataclass(frozen=True)
class CustomerIdentity:
    """What an intake knows about a customer; any of phone, email or external_id identifies them."""

    name: str = ""
    phone: str = ""
    email: str = ""
    external_id: str = ""
    wechat_id: str = ""


def default_tier() -> CustomerTier | None:
    return CustomerTier.objects.filter(is_default=True).first()


def customer_create(
    *,
    actor: User | None,
    name: str,
    phones: list[str] | None = None,
    email: str = "",
    wechat_id: str = "",
    id_number: str = "",
    external_id: str = "",
    tier: CustomerTier | None = None,
    is_vip: bool = False,
    account_manager: User | None = None,
    tags: list[str] | None = None,
    notes: str = "",
    birthday: date | None = None,
    care_opt_out: bool = False,
    region: str = "",
) -> Customer:
    """Create a customer with its phones (the first is primary) and tags."""
    if actor is not None and actor.role == Role.QA and not actor.is_superuser:
        raise Forbidden(code=CustomerErrorCode.FORBIDDEN, message=_("Your role may read customers but not change them."))
    too_long = {
        key: [_("At most %(n)s characters.") % {"n": n}]
        for key, value, n in (("name", name, 100), ("email", email, 254), ("wechat_id", wechat_id, 64),
                              ("id_number", id_number, 32), ("external_id", external_id, 64), ("region", region, 32))
        if len(value.strip()) > n
    }
    if too_long:
        raise DomainError(code="value_too_long", message=_("Some values are too long."), fields=too_long)
    numbers = list(dict.fromkeys(normalize_phone(p) for p in (phones or []) if p.strip()))
    with transaction.atomic():
        customer = Customer(
            name=name.strip() or (numbers[0] if numbers else email) or _("Unnamed customer"),
            email=email.strip(),
            wechat_id=wechat_id.strip(),
            id_number=id_number.strip(),
            external_id=external_id.strip() or None,
            tier=tier or default_tier(),
            is_vip=is_vip,
            account_manager=account_manager,
            notes=notes,
            birthday=birthday,
            care_opt_out=care_opt_out,
            region=region.strip(),
        )
        try:
            with transaction.atomic():
                customer.save()
        except IntegrityError as exc:
            raise DomainError(
                code=CustomerErrorCode.EXTERNAL_ID_TAKEN,
                message=_("Another customer already has this external ID."),
                fields={"external_id": [_("Already taken.")]},
                status=409,
            ) from exc
        created = CustomerPhone.objects.bulk_create(
            [CustomerPhone(customer=customer, number=n, is_primary=(i == 0)) for i, n in enumerate(numbers)]
        )
        _with_phones(customer, created)
        if tags:
            customer.tags.set(tags_get_or_create(tags))
    return customer


def _with_phones(customer: Customer, phones: list[CustomerPhone]) -> Customer:
    """Keep `phones` (all of the customer's) as its prefetched `phones`, in the relation's order, so
    `customer.phones.all()` answers without a query, as prefetch_related would."""
    for phone in phones:
        phone.customer = customer
    qs: Any = customer.phones.all()
    qs._result_cache = sorted(phones, key=lambda p: (not p.is_primary, p.pk or 0))
    qs._prefetch_done = True
    customer.__dict__.setdefault("_prefetched_objects_cache", {})["phones"] = qs
    return customer


def customer_find(identity: CustomerIdentity) -> Customer | None:
    """The existing customer for an identity: external id first, then phone, then email."""
    if identity.external_id:
        found = Customer.objects.filter(external_id=identity.external_id.strip()).first()
        if found:
            return found
    if identity.phone:
        number = normalize_phone(identity.phone)
        # Every phone of the customer who has this number, with the customer, in one statement:
        # the caller's answer shows the customer's phones without reading them again.
        owner = CustomerPhone.objects.filter(number=number).order_by("id").values("customer_id")[:1]
        phones = list(
            CustomerPhone.objects.filter(customer_id=Subquery(owner)).select_related("customer__tier")
        )
        if phones:
            return _with_phones(phones[0].customer, phones)
    if identity.email:
        found = Customer.objects.filter(email__iexact=identity.email.strip()).order_by("id").first()
        if found:
            return found
    return None


def customer_match_or_create(*, actor: User | None, identity: CustomerIdentity) -> tuple[Customer, bool]:
    """Match an intake to an existing customer or create one. Returns (customer, created)."""
    if not (identity.phone or identity.email or identity.external_id):
        raise DomainError(
            code=CustomerErrorCode.IDENTITY_REQUIRED,
            message=_("Give the customer's phone, email or external ID."),
            fields={"customer": [_("Phone, email or external ID is required.")]},
        )
    found = customer_find(identity)
    if found:
        # Fill in an email the profile lacks, so later reply notices reach the customer; never
        # overwrite what is on file from an unverified intake.
        if identity.email.strip() and not found.email:
            found.email = identity.email.strip()[:254]
            found.save(update_fields=["email", "updated_at"])
        return found, False
    customer = customer_create(
        actor=actor,
        name=identity.name,
        phones=[identity.phone] if identity.phone else [],
        email=identity.email,
        wechat_id=identity.wechat_id,
        external_id=identity.external_id,
    )
    return customer, True


def customer_update(*, actor: User, customer: Customer, **fields: object) -> Customer:
    """Update plain profile fields (name, email, wechat_id, tier, is_vip, account_manager, notes, and the
    care fields birthday and care_opt_out, and the region 省市 that complaint warning counts by)."""
    allowed = {
        "name", "email", "wechat_id", "id_number", "tier", "is_vip", "account_manager", "notes", "birthday",
        "care_opt_out", "region",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"customer_update cannot change {sorted(unknown)}")
    with transaction.atomic():
        for key, value in fields.items():
            setattr(customer, key, value)
        customer.save(update_fields=[*fields.keys(), "updated_at"])
    return customer


def customer_add_phone(*, actor: User | None, customer: Customer, number: str, label: str = "") -> CustomerPhone:
    n = normalize_phone(number)
    phone, _created = CustomerPhone.objects.get_or_create(
        customer=customer, number=n, defaults={"label": label, "is_primary": not customer.phones.exists()}
    )
    return phone


def tags_get_or_create(names: list[str]) -> list[Tag]:
    clean = list(dict.fromkeys(n.strip()[:32] for n in names if n and n.strip()))
    existing = {t.name: t for t in Tag.objects.filter(name__in=clean)}
    for name in clean:
        if name not in existing:
            try:
                with transaction.atomic():
                    existing[name] = Tag.objects.create(name=name)
            except IntegrityError:
                existing[name] = Tag.objects.get(name=name)
    return [existing[n] for n in clean]


def document_archive(
    *, actor: User | None, customer: Customer, name: str, content: bytes
) -> CustomerDocument:
    """Check an upload and archive it on the customer; the same content twice is stored once."""
    checked = check_upload(name=name, content=content)
    digest = hashlib.sha256(checked.content).hexdigest()
    existing = CustomerDocument.objects.filter(customer=customer, sha256=digest).first()
    if existing:
        return existing
    doc = CustomerDocument(
        customer=customer,
        name=checked.name,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=digest,
        uploaded_by=actor,
    )
    doc.file.save(f"{digest[:16]}{_suffix(checked.name)}", ContentFile(checked.content), save=False)
    try:
        with transaction.atomic():
            doc.save()
    except IntegrityError:
        doc.file.delete(save=False)
        return CustomerDocument.objects.get(customer=customer, sha256=digest)
    return doc


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""
