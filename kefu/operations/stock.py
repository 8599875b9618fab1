"""Writes for materials (物资申领): receive stock, request, approve by amount, issue (two people for
emergency stock), return, count. Stock never goes below zero: an issue is one conditional UPDATE
(`quantity >= n`), so concurrent requisitions cannot overdraw it, and the database constraint backs
that up. Every change writes a `StockMove` row. An approved requisition is a commitment of the year's
materials budget line, its issue an actual, its return a refund (kefu/operations/budget.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import Conflict, DomainError, Forbidden, NotFound
from kefu.operations import budget
from kefu.operations.access import may_lead, require_manager, require_staff
from kefu.operations.choices import RequisitionStatus as S
from kefu.operations.choices import StockMoveKind
from kefu.operations.errors import OperationsErrorCode as E
from kefu.operations.models import Material, Requisition, Stock, StockMove, Store


def _invalid(name: str, message: str) -> DomainError:
    return DomainError(code=E.INVALID_INPUT, message=message, fields={name: [message]}, status=422)


def approver_role(amount: Decimal) -> str:
    """Who approves a requisition of `amount`: lead → manager → admin."""
    if amount <= Requisition.LEAD_LIMIT:
        return Role.TEAM_LEAD
    if amount <= Requisition.MANAGER_LIMIT:
        return Role.MANAGER
    return Role.ADMIN


def may_approve(user: User, amount: Decimal) -> bool:
    need = approver_role(amount)
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    if need == Role.MANAGER:
        return user.role == Role.MANAGER
    return need == Role.TEAM_LEAD and may_lead(user)


def _move(*, store_id: int, material_id: int, kind: str, delta: int, actor: User, now: datetime,
          requisition: Requisition | None = None, note: str = "") -> None:  # fmt: skip
    StockMove.objects.create(
        store_id=store_id, material_id=material_id, kind=kind, delta=delta, requisition=requisition, note=note[:200],
        actor=actor, created_at=now,
    )  # fmt: skip


def stock_receive(*, actor: User, store_id: int, material_id: int, quantity: int, note: str = "", now: datetime | None = None) -> Stock:
    """Goods in (managers)."""
    require_manager(actor)
    if quantity < 1:
        raise _invalid("quantity", _("Give a quantity of at least 1."))
    if not (Store.objects.filter(pk=store_id).exists() and Material.objects.filter(pk=material_id).exists()):
        raise NotFound(code=E.MATERIAL_NOT_FOUND, message=_("Store or material not found."))
    now = now or timezone.now()
    with transaction.atomic():
        Stock.objects.get_or_create(store_id=store_id, material_id=material_id)
        Stock.objects.filter(store_id=store_id, material_id=material_id).update(quantity=F("quantity") + quantity)
        _move(store_id=store_id, material_id=material_id, kind=StockMoveKind.RECEIPT, delta=quantity, actor=actor, now=now, note=note)
        return Stock.objects.get(store_id=store_id, material_id=material_id)


def requisition_create(
    *, actor: User, store_id: int, material_id: int, quantity: int, reason: str = "", now: datetime | None = None
) -> Requisition:
    """Any staff member asks for material; the amount decides who approves."""
    require_staff(actor)
    if quantity < 1:
        raise _invalid("quantity", _("Give a quantity of at least 1."))
    material = Material.objects.filter(pk=material_id).first()
    if material is None or not Store.objects.filter(pk=store_id).exists():
        raise _invalid("material", _("Store or material not found."))
    now = now or timezone.now()
    return Requisition.objects.create(
        store_id=store_id, material=material, quantity=quantity, amount=material.unit_price * quantity,
        reason=reason.strip()[:200], requested_by=actor, created_at=now, updated_at=now,
    )  # fmt: skip


def _locked(requisition_id: int) -> Requisition:
    found = Requisition.objects.select_for_update().select_related("material").filter(pk=requisition_id).first()
    if found is None:
        raise NotFound(code=E.REQUISITION_NOT_FOUND, message=_("Requisition not found."))
    return found


def _state(r: Requisition, *allowed: str) -> None:
    if r.status not in allowed:
        raise Conflict(code=E.REQUISITION_STATE, message=_("This requisition is %(s)s.") % {"s": r.get_status_display()})


def requisition_decide(*, actor: User, requisition_id: int, approve: bool, now: datetime | None = None) -> Requisition:
    """Approve or reject, by the level the amount needs (not one's own request)."""
    require_staff(actor)
    now = now or timezone.now()
    with transaction.atomic():
        r = _locked(requisition_id)
        if not may_approve(actor, r.amount) or r.requested_by_id == actor.pk:
            raise Forbidden(code=E.FORBIDDEN, message=_("This requisition needs another approver (%(role)s).") % {"role": Role(approver_role(r.amount)).label})
        _state(r, S.PENDING)
        r.status, r.approved_by, r.updated_at = (S.APPROVED if approve else S.REJECTED), actor, now
        r.save(update_fields=["status", "approved_by", "updated_at"])
        if approve:
            budget.requisition_committed(requisition=r, actor=actor, now=now)
    return r


def _take(r: Requisition, actor: User, now: datetime) -> None:
    taken = Stock.objects.filter(store_id=r.store_id, material_id=r.material_id, quantity__gte=r.quantity).update(
        quantity=F("quantity") - r.quantity
    )
    if taken != 1:
        raise Conflict(code=E.STOCK_SHORT, message=_("Not enough in stock."))
    _move(store_id=r.store_id, material_id=r.material_id, kind=StockMoveKind.ISSUE, delta=-r.quantity, actor=actor, now=now, requisition=r)
    r.status = S.ISSUED
    budget.requisition_spent(requisition=r, actor=actor, now=now)


def requisition_issue(*, actor: User, requisition_id: int, now: datetime | None = None) -> Requisition:
    """The store keeper (a lead or manager) hands out an approved requisition. Emergency stock waits
    for a second person's confirmation before it leaves the store (双人管理)."""
    if not may_lead(actor):
        raise Forbidden(code=E.FORBIDDEN, message=_("Only team leads and managers may do this."))
    now = now or timezone.now()
    with transaction.atomic():
        r = _locked(requisition_id)
        _state(r, S.APPROVED)
        r.issued_by, r.updated_at = actor, now
        if r.material.is_emergency:
            r.status = S.AWAITING_SECOND
        else:
            _take(r, actor, now)
        r.save(update_fields=["status", "issued_by", "updated_at"])
    return r


def requisition_confirm(*, actor: User, requisition_id: int, now: datetime | None = None) -> Requisition:
    """The second person confirms an emergency issue; it must not be the one who issued it."""
    if not may_lead(actor):
        raise Forbidden(code=E.FORBIDDEN, message=_("Only team leads and managers may do this."))
    now = now or timezone.now()
    with transaction.atomic():
        r = _locked(requisition_id)
        _state(r, S.AWAITING_SECOND)
        if r.issued_by_id == actor.pk:
            raise Conflict(code=E.SECOND_PERSON, message=_("A second person must confirm emergency stock."))
        _take(r, actor, now)
        r.confirmed_by, r.updated_at = actor, now
        r.save(update_fields=["status", "confirmed_by", "updated_at"])
    return r


def requisition_return(*, actor: User, requisition_id: int, now: datetime | None = None) -> Requisition:
    """The material comes back (a spare headset); stock goes up again."""
    if not may_lead(actor):
        raise Forbidden(code=E.FORBIDDEN, message=_("Only team leads and managers may do this."))
    now = now or timezone.now()
    with transaction.atomic():
        r = _locked(requisition_id)
        _state(r, S.ISSUED)
        Stock.objects.filter(store_id=r.store_id, material_id=r.material_id).update(quantity=F("quantity") + r.quantity)
        _move(store_id=r.store_id, material_id=r.material_id, kind=StockMoveKind.RETURN, delta=r.quantity, actor=actor, now=now, requisition=r)
        budget.requisition_refunded(requisition=r, actor=actor, now=now)
        r.status, r.updated_at = S.RETURNED, now
        r.save(update_fields=["status", "updated_at"])
    return r


def stock_count(*, actor: User, store_id: int, material_id: int, counted: int, reason: str = "", now: datetime | None = None) -> Stock:
    """A stock count (盘点): the counted quantity replaces the book one; a difference needs a reason."""
    require_manager(actor)
    if counted < 0:
        raise _invalid("counted", _("A count cannot be negative."))
    now = now or timezone.now()
    with transaction.atomic():
        stock = Stock.objects.select_for_update().filter(store_id=store_id, material_id=material_id).first()
        if stock is None:
            raise NotFound(code=E.MATERIAL_NOT_FOUND, message=_("Store or material not found."))
        delta = counted - stock.quantity
        if delta and not reason.strip():
            raise _invalid("reason", _("Explain the difference."))
        if delta:
            stock.quantity = counted
            stock.save(update_fields=["quantity"])
            _move(store_id=store_id, material_id=material_id, kind=StockMoveKind.COUNT, delta=delta, actor=actor, now=now, note=reason)
    return stock


def catalogue_add(*, actor: User, store: str = "", material: str = "", unit: str = "个", unit_price: Decimal = Decimal(0),
                  is_emergency: bool = False) -> Store | Material:  # fmt: skip
    """Set up a store or a material (managers)."""
    require_manager(actor)
    if store:
        return Store.objects.create(name=store.strip()[:64])
    if not material.strip():
        raise _invalid("material", _("Name the material."))
    if unit_price < 0:
        raise _invalid("unit_price", _("A price cannot be negative."))
    return Material.objects.create(name=material.strip()[:100], unit=unit[:16], unit_price=unit_price, is_emergency=is_emergency)
