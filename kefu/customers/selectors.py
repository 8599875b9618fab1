"""Reads of customers, with contacts masked for viewers who may not see them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from kefu.accounts.models import User
from kefu.core.masking import mask_email, mask_id_number, mask_phone
from kefu.customers.models import Customer, CustomerAsset, CustomerDocument, CustomerPhone
from kefu.customers.sections import document_grounds_q

_DIGITS = re.compile(r"^\+?[\d\s\-]{5,24}$")


@dataclass(frozen=True)
class ContactView:
    """What a viewer may see of a customer's contacts: the real values or masked ones."""

    phones: list[str]
    primary_phone: str
    email: str
    id_number: str
    wechat_id: str
    masked: bool


def contact_view(*, customer: Customer, viewer: User) -> ContactView:
    """Phones, ID number (and the email's local part) masked unless the viewer may see contacts.

    Uses the prefetched `phones` relation when present, so lists stay N+1-free.
    """
    numbers = [p.number for p in customer.phones.all()]
    if viewer.may_see_contacts:
        return ContactView(
            phones=numbers,
            primary_phone=numbers[0] if numbers else "",
            email=customer.email,
            id_number=customer.id_number,
            wechat_id=customer.wechat_id,
            masked=False,
        )
    masked = [mask_phone(n) for n in numbers]
    return ContactView(
        phones=masked,
        primary_phone=masked[0] if masked else "",
        email=mask_email(customer.email),
        id_number=mask_id_number(customer.id_number),
        wechat_id=customer.wechat_id[:2] + "***" if customer.wechat_id else "",
        masked=True,
    )


def customer_base_qs() -> QuerySet[Customer]:
    return Customer.objects.select_related("tier", "account_manager").prefetch_related(
        Prefetch("phones", queryset=CustomerPhone.objects.order_by("-is_primary", "id")), "tags"
    )


def customer_get(*, viewer: User, customer_id: int) -> Customer | None:
    """Every staff member may look up customers (they take calls from anyone); contacts are masked
    through contact_view()."""
    if not viewer.is_authenticated or not viewer.is_active:
        return None
    return (
        customer_base_qs()
        .prefetch_related(Prefetch("assets", queryset=CustomerAsset.objects.order_by("-created_at")))
        .filter(pk=customer_id)
        .first()
    )


def customer_search(*, viewer: User, q: str, limit: int = 20) -> list[Customer]:
    """By phone (exact, any of their numbers), email, external id, or name prefix."""
    if not viewer.is_authenticated or not viewer.is_active:
        return []
    q = q.strip()
    if not q:
        return []
    qs = customer_base_qs()
    if _DIGITS.match(q):
        digits = re.sub(r"\D", "", q)
        qs = qs.filter(Q(phones__number=digits) | Q(external_id=q))
    elif "@" in q:
        qs = qs.filter(email__iexact=q)
    else:
        qs = qs.filter(Q(name__startswith=q) | Q(external_id=q) | Q(assets__identifier=q.upper()))
    return list(qs.distinct().order_by("id")[: max(1, min(limit, 100))])


def customer_documents_visible(*, viewer: User, customer: Customer) -> list[CustomerDocument]:
    """Archived documents may be ID scans: managers and users who may see contacts get all of them,
    others only those they uploaded themselves or that a registered ground lets them see (the
    ticket app: attached to a ticket they can see; kefu.customers.sections)."""
    qs = CustomerDocument.objects.filter(customer=customer).order_by("-created_at")
    if viewer.may_see_contacts:
        return list(qs)
    return list(qs.filter(Q(uploaded_by=viewer) | document_grounds_q(viewer, customer)).distinct())
