"""Writes to tickets. Views, the API, tasks, commands and the admin all call these.

Each service locks the ticket row it changes (select_for_update through access_ticket), saves with
update_fields, writes a TicketEvent, and publishes what happened as a fact (kefu.tickets.reactions):
the apps that react to tickets (SLA, dispatch, satisfaction ...) subscribe to those facts; this
module knows none of them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.core.errors import DomainError, Forbidden, NotFound
from kefu.core.text import index_text, index_tokens
from kefu.customers.models import Customer, CustomerDocument
from kefu.customers.services import document_archive, normalize_phone, tags_get_or_create
from kefu.tickets import reactions, workflow
from kefu.tickets.access import (
    access_ticket,
    access_ticket_by_portal_token,
    may_assign_others,
    may_merge,
    may_see,
    require_write,
)
from kefu.tickets.choices import (
    PRIORITY_RANK,
    Channel,
    EventKind,
    LinkKind,
    MessageKind,
    Priority,
    TicketKind,
    TicketStatus,
)
from kefu.tickets.errors import TicketErrorCode
from kefu.tickets.events import event_write, new_ticket_timeline
from kefu.tickets.models import (
    Category,
    IdempotencyKey,
    Ticket,
    TicketAttachment,
    TicketLink,
    TicketMessage,
    TicketNumberSequence,
    TicketTransfer,
    new_portal_key,
)
from kefu.tickets.reactions import (
    AuthorKind,
    TicketAssigned,
    TicketClosed,
    TicketCreated,
    TicketFact,
    TicketMerged,
    TicketMessageAdded,
    TicketPriorityChanged,
    TicketReopened,
    TicketState,
    TicketStatusChanged,
    TicketTransferred,
    TicketUpdated,
    ticket_change,
)
from kefu.tickets.tasks import ticket_reply_notify_task

NUMBER_PREFIX = "GD"


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes


@dataclass
class TicketInput:
    title: str
    description: str = ""
    kind: str = TicketKind.INQUIRY
    channel: str = Channel.PHONE
    priority: str = Priority.NORMAL
    category: Category | None = None
    customer: Customer | None = None
    contact_phone: str = ""
    team: Team | None = None
    assignee: User | None = None
    tags: list[str] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    documents: list[CustomerDocument] = field(default_factory=list)


# --- numbers ---------------------------------------------------------------------------------------


def ticket_number_next(at: datetime) -> str:
    """GD20261122-000123: the day in the business time zone and a per-day sequence.

    The sequence row is bumped with UPDATE ... SET last = last + 1, which takes the row lock, so
    concurrent creators serialise on it and no number is handed out twice. Call inside atomic().
    """
    day = timezone.localdate(at)
    last = _bump_sequence(day)
    if last is None:
        try:
            with transaction.atomic():
                TicketNumberSequence.objects.create(day=day, last=1)
            last = 1
        except IntegrityError:
            last = _bump_sequence(day)
    assert last is not None
    return f"{NUMBER_PREFIX}{day:%Y%m%d}-{last:06d}"


def _bump_sequence(day: date) -> int | None:
    """UPDATE ... RETURNING in one round trip (PostgreSQL and SQLite >= 3.35 both have it)."""
    table = connection.ops.quote_name(TicketNumberSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE day = %s RETURNING last", [day])  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else None


# --- categories ------------------------------------------------------------------------------------


def category_save(*, category: Category) -> Category:
    """Save a category and keep the materialised paths of it and its subtree right."""
    with transaction.atomic():
        if category.pk is None:
            category.save()
        parent_path = category.parent.path if category.parent_id and category.parent else "/"
        if category.parent_id and f"/{category.pk}/" in parent_path:
            raise DomainError(code="category_cycle", message=_("A category cannot be inside itself."))
        old_path = category.path
        category.path = f"{parent_path}{category.pk}/"
        category.save()
        if old_path and old_path != category.path:
            for child in Category.objects.filter(path__startswith=old_path).exclude(pk=category.pk):
                child.path = category.path + child.path[len(old_path) :]
                child.save(update_fields=["path"])
    return category


# --- intake ----------------------------------------------------------------------------------------


def _default_team() -> Team | None:
    return Team.objects.filter(is_default=True, is_active=True).first()


def ticket_create(
    *,
    actor: User | None,
    data: TicketInput,
    by_customer: bool = False,
    at: datetime | None = None,
) -> Ticket:
    """Open a ticket (受理).

    The staff member who takes the contact becomes its owner (首问负责人) and keeps that role across
    transfers; a ticket the customer submitted gets its owner when first assigned. Without a team the
    ticket waits in the default team's queue. Uploads are checked and archived on the customer.
    """
    if actor is not None:
        require_write(actor)
        if data.assignee is not None and data.assignee.pk != actor.pk and not may_assign_others(actor):
            raise Forbidden(code=TicketErrorCode.MAY_ONLY_CLAIM, message=_("You may only assign tickets to yourself."))
    if data.assignee is not None and not data.assignee.is_active:
        raise DomainError(code=TicketErrorCode.ASSIGNEE_INACTIVE, message=_("This user is not active."))
    if data.team is not None and not data.team.is_active:
        raise DomainError(code="team_inactive", message=_("This team is no longer active."))
    if data.team is not None and data.assignee is not None and data.assignee.team_id not in (None, data.team.pk):
        raise DomainError(
            code=TicketErrorCode.ASSIGNEE_NOT_IN_TEAM,
            message=_("%(user)s is not in team %(team)s.") % {"user": data.assignee.name, "team": data.team.name},
        )
    contact_phone = normalize_phone(data.contact_phone) if data.contact_phone.strip() else ""
    if not data.title.strip():
        raise DomainError(code="title_required", message=_("A title is required."), fields={"title": [_("Required.")]})
    if data.category is not None and not data.category.is_active:
        raise DomainError(code=TicketErrorCode.CATEGORY_INACTIVE, message=_("This category is no longer in use."))
    if (data.uploads or data.documents) and data.customer is None:
        raise DomainError(code="customer_required", message=_("Attachments need a customer to archive them on."))
    now = at or timezone.now()
    with new_ticket_timeline() as track, ticket_change():
        team = data.team or (data.assignee.team if data.assignee else None) or _default_team()
        status = TicketStatus.ASSIGNED if data.assignee else TicketStatus.NEW
        ticket = Ticket.objects.create(
            number=ticket_number_next(now),
            title=data.title.strip()[:200],
            description=data.description,
            kind=data.kind,
            category=data.category,
            channel=data.channel,
            priority=data.priority,
            priority_rank=PRIORITY_RANK[Priority(data.priority)],
            status=status,
            customer=data.customer,
            contact_phone=contact_phone,
            owner=actor if actor is not None else data.assignee,
            assignee=data.assignee,
            team=team,
            created_by=actor,
            search_text=index_text(data.title, data.description),
            created_at=now,
            updated_at=now,
        )
        track(ticket.pk)
        event_write(
            ticket=ticket,
            kind=EventKind.CREATED,
            actor=actor,
            at=now,
            by_customer=by_customer,
            channel=data.channel,
            priority=data.priority,
            team=team.name if team else None,
        )
        if data.assignee:
            event_write(ticket=ticket, kind=EventKind.ASSIGNED, actor=actor, at=now, to=data.assignee.username)
        tags = tags_get_or_create(data.tags) if data.tags else []
        if tags:
            ticket.tags.add(*tags)  # a new ticket has none: no read first
        _keep_prefetched(ticket, "tags", tags)  # the answer shows them: no read back
        _attach(ticket=ticket, actor=actor, uploads=data.uploads, documents=data.documents, message=None, at=now)
        reactions.publish(TicketCreated(**_fact(ticket, actor, now, by_customer=by_customer)))
    if ticket.pk in reactions.changed_by_reactions():
        # A reaction (dispatch) changed it through another service: read it again, with what the
        # pages and the API show of it in the same query.
        ticket = Ticket.objects.select_related("team", "assignee", "owner", "customer__tier", "category").get(pk=ticket.pk)
    return ticket


def _keep_prefetched(ticket: Ticket, name: str, objs: list[Any]) -> None:
    """Store `objs` as the prefetched result of the relation `name`, as prefetch_related would, so
    `ticket.<name>.all()` answers them without a query (they are what this transaction wrote)."""
    qs = getattr(ticket, name).all()
    qs._result_cache = sorted(objs, key=lambda o: o.name) if name == "tags" else list(objs)
    qs._prefetch_done = True
    cache: dict[str, Any] = ticket.__dict__.setdefault("_prefetched_objects_cache", {})
    cache[name] = qs


def _fact(ticket: Ticket, actor: User | None, at: datetime, *, by_customer: bool = False) -> dict[str, Any]:
    """The fields every fact carries."""
    return {
        "ticket": TicketState.of(ticket), "at": at, "actor_id": actor.pk if actor is not None else None,
        "by_customer": by_customer, "instance": ticket,
    }


def _status_facts(
    ticket: Ticket, actor: User | None, at: datetime, before: str, *, by_customer: bool = False, auto: bool = False
) -> list[TicketFact]:
    """TicketStatusChanged, and TicketReopened / TicketClosed beside it where they apply."""
    common = _fact(ticket, actor, at, by_customer=by_customer)
    after = ticket.status
    facts: list[TicketFact] = [TicketStatusChanged(**common, from_status=before, to_status=after, auto=auto)]
    if before in workflow.DONE and after not in workflow.DONE:
        facts.append(TicketReopened(**common, from_status=before, to_status=after))
    if after == TicketStatus.CLOSED:
        facts.append(TicketClosed(**common, from_status=before, auto=auto))
    return facts


def ticket_create_idempotent(
    *, actor: User, key: str, payload: dict[str, Any], data: TicketInput
) -> tuple[Ticket, bool]:
    """Create once per (user, Idempotency-Key) within KEFU_IDEMPOTENCY_KEY_HOURS. A retry with the
    same payload returns the first ticket; the same key with a different payload is a 409. Returns
    (ticket, created)."""
    request_hash = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    now = timezone.now()

    def existing() -> Ticket | None:
        row = IdempotencyKey.objects.filter(user=actor, key=key, expires_at__gt=now).select_related("ticket").first()
        if row is None:
            return None
        if row.request_hash != request_hash:
            raise DomainError(
                code=TicketErrorCode.IDEMPOTENCY_MISMATCH,
                message=_("This Idempotency-Key was used for a different request."),
                status=409,
            )
        return row.ticket

    if (found := existing()) is not None:
        return found, False
    try:
        with transaction.atomic():
            # An expired key the clock has not deleted yet is free again.
            IdempotencyKey.objects.filter(user=actor, key=key, expires_at__lte=now).delete()
            ticket = ticket_create(actor=actor, data=data)
            IdempotencyKey.objects.create(
                user=actor, key=key, request_hash=request_hash, ticket=ticket,
                expires_at=now + timedelta(hours=settings.KEFU_IDEMPOTENCY_KEY_HOURS),
            )
    except IntegrityError:
        # A concurrent request with the same key won the race; ours was rolled back whole.
        if (found := existing()) is not None:
            return found, False
        raise
    return ticket, True


def _attach(
    *,
    ticket: Ticket,
    actor: User | None,
    uploads: list[Upload],
    documents: list[CustomerDocument],
    message: TicketMessage | None,
    at: datetime,
    is_public: bool = True,
) -> None:
    docs = list(documents)
    for doc in docs:
        if ticket.customer_id is None or doc.customer_id != ticket.customer_id:
            raise DomainError(code="document_not_customers", message=_("This document belongs to another customer."))
    if uploads and ticket.customer is None:
        raise DomainError(code="customer_required", message=_("Attachments need a customer to archive them on."))
    for up in uploads:
        assert ticket.customer is not None  # checked above; narrows the type
        docs.append(document_archive(actor=actor, customer=ticket.customer, name=up.name, content=up.content))
    for doc in docs:
        _link, created = TicketAttachment.objects.get_or_create(
            ticket=ticket, document=doc, defaults={"message": message, "is_public": is_public}
        )
        if created:
            event_write(
                ticket=ticket, kind=EventKind.ATTACHMENT_ADDED, actor=actor, at=at, name=doc.name, document_id=doc.pk
            )


def _locked(actor: User, number: str) -> Ticket:
    """The ticket to change, locked: read with access_ticket, or, for a reaction changing a ticket
    that its batch created, that row itself (reactions.live_row), with the same visibility rule."""
    live = reactions.live_row(number)
    if live is None:
        return access_ticket(user=actor, number=number, for_update=True)
    if not may_see(actor, live):
        raise NotFound(code=TicketErrorCode.NOT_FOUND, message=_("Ticket not found."))
    return live


def _save(ticket: Ticket, now: datetime, *fields: str) -> None:
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "updated_at"])


# --- assignment and transfer -------------------------------------------------------------------------


def ticket_assign(*, actor: User, number: str, assignee: User | None, team: Team | None = None) -> Ticket:
    """Assign to `assignee` (None returns the ticket to its team queue).

    Agents may only claim a ticket for themselves; team leads and managers assign anyone. The first
    assignee of a ticket without an owner becomes its owner. Locks the ticket row.
    """
    require_write(actor)
    now = timezone.now()
    with ticket_change():
        ticket = _locked(actor, number)
        if ticket.status == TicketStatus.CLOSED:
            raise DomainError(code=TicketErrorCode.TICKET_CLOSED, message=_("The ticket is closed."))
        if assignee is not None and assignee.pk != actor.pk and not may_assign_others(actor):
            raise Forbidden(code=TicketErrorCode.MAY_ONLY_CLAIM, message=_("You may only assign tickets to yourself."))
        if assignee is None and ticket.assignee_id not in (None, actor.pk) and not may_assign_others(actor):
            raise Forbidden(code=TicketErrorCode.MAY_ONLY_CLAIM, message=_("You may only return your own tickets."))
        if assignee is not None and not assignee.is_active:
            raise DomainError(code=TicketErrorCode.ASSIGNEE_INACTIVE, message=_("This user is not active."))
        new_team = team or (assignee.team if assignee and assignee.team_id else ticket.team)
        if assignee is not None and new_team is not None and assignee.team_id not in (None, new_team.pk):
            raise DomainError(
                code=TicketErrorCode.ASSIGNEE_NOT_IN_TEAM,
                message=_("%(user)s is not in team %(team)s.") % {"user": assignee.name, "team": new_team.name},
            )
        if assignee is not None and ticket.assignee_id == assignee.pk and ticket.team_id == (new_team and new_team.pk):
            return ticket
        before = ticket.assignee
        before_team_id = ticket.team_id
        before_status = ticket.status
        ticket.assignee = assignee
        ticket.team = new_team
        fields = ["assignee", "team"]
        if assignee is not None and ticket.owner_id is None:
            ticket.owner = assignee
            fields.append("owner")
        if assignee is not None and ticket.status == TicketStatus.NEW:
            ticket.status = TicketStatus.ASSIGNED
            fields.append("status")
        elif assignee is None and ticket.status in (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS):
            ticket.status = TicketStatus.NEW
            fields.append("status")
        _save(ticket, now, *fields)
        if assignee is None:
            event_write(ticket=ticket, kind=EventKind.UNASSIGNED, actor=actor, at=now, data={"from": _uname(before)})
        else:
            event_write(
                ticket=ticket,
                kind=EventKind.ASSIGNED,
                actor=actor,
                at=now,
                to=assignee.username,
                to_name=assignee.name,
                team=new_team.name if new_team else None,
                data={"from": _uname(before)},
            )
        reactions.publish(
            TicketAssigned(
                **_fact(ticket, actor, now), from_assignee_id=before.pk if before else None,
                to_assignee_id=assignee.pk if assignee else None, from_team_id=before_team_id,
                to_team_id=ticket.team_id,
            )
        )
        if ticket.status != before_status:
            reactions.publish(*_status_facts(ticket, actor, now, before_status))
    return ticket


def ticket_transfer(
    *, actor: User, number: str, to_team: Team | None, to_user: User | None = None, reason: str
) -> Ticket:
    """Transfer (转派) to another team and/or person. The owner (首问负责人) stays; from, to and why are
    recorded. Locks the ticket row."""
    require_write(actor)
    if not reason.strip():
        raise DomainError(
            code=TicketErrorCode.REASON_REQUIRED,
            message=_("Say why the ticket is transferred."),
            fields={"reason": [_("Required.")]},
        )
    if to_team is None and to_user is None:
        raise DomainError(code=TicketErrorCode.TRANSFER_TARGET_REQUIRED, message=_("Choose a team or a person."))
    now = timezone.now()
    with ticket_change():
        ticket = _locked(actor, number)
        if not ticket.is_open:
            raise DomainError(code=TicketErrorCode.TICKET_CLOSED, message=_("Only open tickets can be transferred."))
        target_team = to_team or (to_user.team if to_user else None)
        if to_user is not None and target_team is not None and to_user.team_id not in (None, target_team.pk):
            raise DomainError(
                code=TicketErrorCode.ASSIGNEE_NOT_IN_TEAM,
                message=_("%(user)s is not in team %(team)s.") % {"user": to_user.name, "team": target_team.name},
            )
        if to_user is not None and not to_user.is_active:
            raise DomainError(code=TicketErrorCode.ASSIGNEE_INACTIVE, message=_("This user is not active."))
        if target_team is not None and target_team.pk == ticket.team_id and (to_user is None or to_user.pk == ticket.assignee_id):
            raise DomainError(code=TicketErrorCode.SAME_TEAM, message=_("The ticket is already there."))
        TicketTransfer.objects.create(
            ticket=ticket,
            from_team_id=ticket.team_id,
            from_user_id=ticket.assignee_id,
            to_team=target_team,
            to_user=to_user,
            reason=reason.strip()[:500],
            actor=actor,
            created_at=now,
        )
        from_team = ticket.team.name if ticket.team_id and ticket.team else None
        from_user = _uname(ticket.assignee)
        from_ids = (ticket.team_id, ticket.assignee_id, ticket.status)
        ticket.team = target_team
        ticket.assignee = to_user
        ticket.transfer_count += 1
        ticket.status = TicketStatus.ASSIGNED if to_user else TicketStatus.NEW
        fields = ["team", "assignee", "transfer_count", "status"]
        if ticket.owner_id is None:
            ticket.owner = actor
            fields.append("owner")
        _save(ticket, now, *fields)
        event_write(
            ticket=ticket,
            kind=EventKind.TRANSFERRED,
            actor=actor,
            at=now,
            from_team=from_team,
            from_user=from_user,
            to_team=target_team.name if target_team else None,
            to_user=_uname(to_user),
            reason=reason.strip()[:500],
        )
        reactions.publish(
            TicketTransferred(
                **_fact(ticket, actor, now), from_team_id=from_ids[0], to_team_id=ticket.team_id,
                from_assignee_id=from_ids[1], to_assignee_id=ticket.assignee_id, reason=reason.strip()[:500],
            )
        )
        if ticket.status != from_ids[2]:
            reactions.publish(*_status_facts(ticket, actor, now, from_ids[2]))
    return ticket


def _uname(user: User | None) -> str | None:
    return user.username if user is not None else None


# --- status and fields -----------------------------------------------------------------------------


def _apply_status(ticket: Ticket, target: str, now: datetime) -> list[str]:
    """Set status and the timestamps that go with it; returns the changed field names."""
    fields = ["status"]
    reopening = ticket.status in workflow.DONE and target not in workflow.DONE
    ticket.status = target
    if target == TicketStatus.RESOLVED:
        ticket.resolved_at = now
        ticket.auto_close_due_at = now + timedelta(days=settings.KEFU_AUTO_CLOSE_DAYS)
        fields += ["resolved_at", "auto_close_due_at"]
    elif target == TicketStatus.CLOSED:
        ticket.closed_at = now
        ticket.auto_close_due_at = None
        fields += ["closed_at", "auto_close_due_at"]
    if reopening:
        ticket.reopen_count += 1
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.auto_close_due_at = None
        fields += ["reopen_count", "resolved_at", "closed_at", "auto_close_due_at"]
    return list(dict.fromkeys(fields))


def ticket_change_status(*, actor: User, number: str, status: str, comment: str = "") -> Ticket:
    """Move the ticket through new → assigned → in progress → pending customer → resolved → closed,
    or reopen it. Refuses transitions the workflow does not allow. Locks the ticket row."""
    require_write(actor)
    if status not in TicketStatus.values:
        raise DomainError(code=TicketErrorCode.INVALID_TRANSITION, message=_("Unknown status."))
    now = timezone.now()
    with ticket_change():
        ticket = _locked(actor, number)
        before = ticket.status
        if before == status:
            return ticket
        if not workflow.can_transition(before, status):
            raise DomainError(
                code=TicketErrorCode.INVALID_TRANSITION,
                message=_("A ticket cannot go from %(a)s to %(b)s.")
                % {"a": TicketStatus(before).label, "b": TicketStatus(status).label},
            )
        if status == TicketStatus.ASSIGNED and ticket.assignee_id is None:
            raise DomainError(code=TicketErrorCode.INVALID_TRANSITION, message=_("Assign the ticket to someone first."))
        fields = _apply_status(ticket, status, now)
        if status in (TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED) and ticket.assignee_id is None:
            # Whoever works or resolves an unassigned ticket takes it.
            ticket.assignee = actor
            fields.append("assignee")
            if ticket.owner_id is None:
                ticket.owner = actor
                fields.append("owner")
        _save(ticket, now, *fields)
        kind = EventKind.REOPENED if before in workflow.DONE and status not in workflow.DONE else EventKind.STATUS_CHANGED
        event_write(ticket=ticket, kind=kind, actor=actor, at=now, data={"from": before, "to": status}, comment=comment[:500])
        reactions.publish(*_status_facts(ticket, actor, now, before))
    return ticket


def ticket_change_priority(*, actor: User, number: str, priority: str, reason: str = "") -> Ticket:
    require_write(actor)
    if priority not in Priority.values:
        raise DomainError(code="invalid_priority", message=_("Unknown priority."))
    now = timezone.now()
    with ticket_change():
        ticket = _locked(actor, number)
        before = ticket.priority
        if before == priority:
            return ticket
        ticket.priority = priority
        ticket.priority_rank = PRIORITY_RANK[Priority(priority)]
        _save(ticket, now, "priority", "priority_rank")
        event_write(
            ticket=ticket, kind=EventKind.PRIORITY_CHANGED, actor=actor, at=now, data={"from": before, "to": priority},
            reason=reason[:500],
        )
        reactions.publish(TicketPriorityChanged(**_fact(ticket, actor, now), from_priority=before, to_priority=priority))
    return ticket


UPDATABLE_FIELDS = ("title", "description", "kind", "category", "channel", "contact_phone")


def ticket_update(*, actor: User, number: str, changes: dict[str, Any], tags: list[str] | None = None) -> Ticket:
    """Change plain fields (title, description, kind, category, channel, contact phone) and tags."""
    require_write(actor)
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise DomainError(code="unknown_fields", message=_("These fields cannot be changed: %s") % ", ".join(sorted(unknown)))
    if "contact_phone" in changes:
        raw = changes["contact_phone"] or ""
        changes = {**changes, "contact_phone": normalize_phone(raw) if str(raw).strip() else ""}
    if "title" in changes and (not isinstance(changes["title"], str) or not changes["title"].strip()):
        raise DomainError(code="title_required", message=_("A title is required."), fields={"title": [_("Required.")]})
    if "kind" in changes and changes["kind"] not in TicketKind.values:
        raise DomainError(code="invalid_kind", message=_("Unknown kind."))
    if "channel" in changes and changes["channel"] not in Channel.values:
        raise DomainError(code="invalid_channel", message=_("Unknown channel."))
    if changes.get("category") is not None and not changes["category"].is_active:
        raise DomainError(code=TicketErrorCode.CATEGORY_INACTIVE, message=_("This category is no longer in use."))
    now = timezone.now()
    with ticket_change():
        ticket = _locked(actor, number)
        diff: dict[str, list[Any]] = {}
        for name, value in changes.items():
            old = getattr(ticket, name)
            if old != value:
                diff[name] = [str(old) if old is not None else None, str(value) if value is not None else None]
                setattr(ticket, name, value)
        fields = list(diff)
        if {"title", "description"} & set(diff):
            ticket.search_text = _merged_tokens(ticket.search_text, ticket.title, ticket.description)
            fields.append("search_text")
        if fields:
            _save(ticket, now, *fields)
            event_write(ticket=ticket, kind=EventKind.FIELDS_CHANGED, actor=actor, at=now, changes=diff)
        tags_changed = False
        if tags is not None:
            before = sorted(ticket.tags.values_list("name", flat=True))
            new_tags = tags_get_or_create(tags)
            after = sorted(t.name for t in new_tags)
            if before != after:
                ticket.tags.set(new_tags)
                if not fields:
                    _save(ticket, now)
                event_write(ticket=ticket, kind=EventKind.TAGS_CHANGED, actor=actor, at=now, before=before, after=after)
                tags_changed = True
        if diff or tags_changed:
            reactions.publish(TicketUpdated(**_fact(ticket, actor, now), changes=diff, tags_changed=tags_changed))
    return ticket


def _merged_tokens(existing: str, *texts: str) -> str:
    tokens = dict.fromkeys(existing.split())
    for tok in index_tokens(" ".join(texts)):
        tokens.setdefault(tok)
    return " ".join(tokens)


# --- messages --------------------------------------------------------------------------------------


def ticket_add_message(
    *,
    actor: User,
    number: str,
    kind: str,
    body: str,
    uploads: list[Upload] | None = None,
    documents: list[CustomerDocument] | None = None,
    status: str | None = None,
) -> TicketMessage:
    """A public reply (the customer sees it) or an internal note. A first reply sets first_response_at;
    a reply starts work on a new ticket; `status` optionally moves it on in the same step (e.g. reply
    and set pending customer). The customer is told of a reply by email, after commit."""
    require_write(actor)
    if kind not in MessageKind.values:
        raise DomainError(code="invalid_message_kind", message=_("Unknown message kind."))
    if not body.strip():
        raise DomainError(code=TicketErrorCode.EMPTY_MESSAGE, message=_("Write something first."), fields={"body": [_("Required.")]})
    now = timezone.now()
    with ticket_change():
        ticket = _locked(actor, number)
        before_status = ticket.status
        if ticket.status == TicketStatus.CLOSED and kind == MessageKind.REPLY:
            raise DomainError(code=TicketErrorCode.TICKET_CLOSED, message=_("The ticket is closed; reopen it to reply."))
        message = TicketMessage.objects.create(ticket=ticket, kind=kind, author=actor, body=body, created_at=now)
        fields = ["search_text"]
        ticket.search_text = _merged_tokens(ticket.search_text, body)
        if kind == MessageKind.REPLY:
            if ticket.first_response_at is None:
                ticket.first_response_at = now
                fields.append("first_response_at")
            target = workflow.status_after_staff_reply(ticket.status)
            if target != ticket.status:
                fields += _apply_status(ticket, target, now)
            # Replying to an unassigned ticket of one's own team takes it; a reply from elsewhere
            # (e.g. the owner answering after a transfer) must not pull it back out of that team.
            if ticket.assignee_id is None and ticket.team_id in (None, actor.team_id):
                ticket.assignee = actor
                fields.append("assignee")
            if ticket.owner_id is None:
                ticket.owner = actor
                fields.append("owner")
        _save(ticket, now, *dict.fromkeys(fields))
        event_write(
            ticket=ticket,
            kind=EventKind.REPLIED if kind == MessageKind.REPLY else EventKind.NOTED,
            actor=actor,
            at=now,
            message_id=message.pk,
        )
        _attach(
            ticket=ticket,
            actor=actor,
            uploads=uploads or [],
            documents=documents or [],
            message=message,
            at=now,
            is_public=kind == MessageKind.REPLY,
        )
        if kind == MessageKind.REPLY:
            _notify_customer_on_commit(ticket, message)
        reactions.publish(
            TicketMessageAdded(
                **_fact(ticket, actor, now), message_id=message.pk, is_public=kind == MessageKind.REPLY,
                author_kind=AuthorKind.AGENT,
            )
        )
        if ticket.status != before_status:
            reactions.publish(*_status_facts(ticket, actor, now, before_status))
        # In the same transaction: a refused status change takes the message back with it. The
        # reactions run once the outer scope ends, so SLA sees this reply and the status together.
        if status and status != ticket.status:
            ticket_change_status(actor=actor, number=number, status=status)
    return message


def _notify_customer_on_commit(ticket: Ticket, message: TicketMessage) -> None:
    if ticket.customer_id and ticket.customer and ticket.customer.email:
        message_id = message.pk
        transaction.on_commit(lambda: ticket_reply_notify_task.enqueue(message_id=message_id))


# --- customer portal -------------------------------------------------------------------------------


def ticket_customer_reply(*, token: str, body: str, uploads: list[Upload] | None = None) -> TicketMessage:
    """The customer answers through their tracking link; a pending, resolved (or recently closed)
    ticket goes back to work. A closed ticket past the reopen window refuses."""
    if not body.strip():
        raise DomainError(code=TicketErrorCode.EMPTY_MESSAGE, message=_("Write something first."), fields={"body": [_("Required.")]})
    now = timezone.now()
    with ticket_change():
        ticket = access_ticket_by_portal_token(token, for_update=True)
        if ticket.merged_into_id:
            raise DomainError(code=TicketErrorCode.TICKET_CLOSED, message=_("This ticket was merged into another one."))
        if not ticket.is_open and not _within_reopen_window(ticket, now):
            raise DomainError(
                code=TicketErrorCode.REOPEN_WINDOW_PASSED,
                message=_("This ticket was closed more than %(days)s days ago; please submit a new one.")
                % {"days": settings.KEFU_REOPEN_DAYS},
            )
        message = TicketMessage.objects.create(
            ticket=ticket, kind=MessageKind.REPLY, from_customer=True, body=body, created_at=now
        )
        before = ticket.status
        target = workflow.status_after_customer_reply(before)
        fields = ["search_text"]
        ticket.search_text = _merged_tokens(ticket.search_text, body)
        if target != before:
            fields += _apply_status(ticket, target, now)
        _save(ticket, now, *dict.fromkeys(fields))
        event_write(ticket=ticket, kind=EventKind.CUSTOMER_REPLIED, actor=None, at=now, by_customer=True, message_id=message.pk)
        if before in workflow.DONE:
            event_write(ticket=ticket, kind=EventKind.REOPENED, actor=None, at=now, by_customer=True, data={"from": before, "to": target})
        _attach(ticket=ticket, actor=None, uploads=uploads or [], documents=[], message=message, at=now)
        reactions.publish(
            TicketMessageAdded(
                **_fact(ticket, None, now, by_customer=True), message_id=message.pk, is_public=True,
                author_kind=AuthorKind.CUSTOMER,
            )
        )
        if target != before:
            reactions.publish(*_status_facts(ticket, None, now, before, by_customer=True))
    return message


def ticket_customer_reopen(*, token: str, reason: str) -> Ticket:
    """The customer reopens a resolved or closed ticket within KEFU_REOPEN_DAYS."""
    ticket = access_ticket_by_portal_token(token)
    if ticket.is_open:
        raise DomainError(code=TicketErrorCode.INVALID_TRANSITION, message=_("The ticket is still open."))
    ticket_customer_reply(token=token, body=reason.strip() or _("The customer reopened the ticket."))
    ticket.refresh_from_db()
    return ticket


def ticket_reopen_deadline(ticket: Ticket) -> datetime | None:
    """Until when the customer may reopen a resolved or closed ticket: KEFU_REOPEN_DAYS after it was
    closed (or resolved, while not yet closed). None for open tickets."""
    if ticket.is_open:
        return None
    done_at = ticket.closed_at or ticket.resolved_at
    return done_at + timedelta(days=settings.KEFU_REOPEN_DAYS) if done_at else None


def _within_reopen_window(ticket: Ticket, now: datetime) -> bool:
    deadline = ticket_reopen_deadline(ticket)
    return deadline is not None and now <= deadline


def ticket_portal_link_revoke(*, actor: User, number: str) -> Ticket:
    """Rotate the ticket's portal key: every tracking link handed out so far stops working."""
    require_write(actor)
    now = timezone.now()
    with transaction.atomic():
        ticket = _locked(actor, number)
        ticket.portal_key = new_portal_key()
        _save(ticket, now, "portal_key")
        event_write(ticket=ticket, kind=EventKind.FIELDS_CHANGED, actor=actor, at=now, changes={"portal_link": ["…", "…"]})
    return ticket


# --- links and merge -------------------------------------------------------------------------------


def ticket_link(*, actor: User, number: str, other_number: str, kind: str = LinkKind.RELATED) -> TicketLink:
    require_write(actor)
    if kind not in LinkKind.values:
        raise DomainError(code="invalid_link_kind", message=_("Unknown link kind."))
    if number == other_number:
        raise DomainError(code=TicketErrorCode.LINK_SELF, message=_("A ticket cannot be linked to itself."))
    now = timezone.now()
    with transaction.atomic():
        ticket = _locked(actor, number)
        other = access_ticket(user=actor, number=other_number)
        link, created = TicketLink.objects.get_or_create(from_ticket=ticket, to_ticket=other, defaults={"kind": kind})
        if created:
            event_write(ticket=ticket, kind=EventKind.LINKED, actor=actor, at=now, to=other.number, link=kind)
            event_write(ticket=other, kind=EventKind.LINKED, actor=actor, at=now, to=ticket.number, link=kind)
            _save(ticket, now)
    return link


def ticket_merge(*, actor: User, source_number: str, target_number: str) -> Ticket:
    """Merge a duplicate into `target`: the source closes, points at the target and is linked as a
    duplicate; its attachments are linked to the target too. Returns the target."""
    require_write(actor)
    if not may_merge(actor):
        raise Forbidden(code=TicketErrorCode.FORBIDDEN, message=_("Only team leads and managers may merge tickets."))
    if source_number == target_number:
        raise DomainError(code=TicketErrorCode.MERGE_SELF, message=_("A ticket cannot be merged into itself."))
    now = timezone.now()
    with ticket_change():
        # Lock in a fixed order so two opposite merges cannot deadlock.
        first, second = sorted([source_number, target_number])
        locked = {n: access_ticket(user=actor, number=n, for_update=True) for n in (first, second)}
        source, target = locked[source_number], locked[target_number]
        if source.merged_into_id or target.merged_into_id:
            raise DomainError(code=TicketErrorCode.MERGE_CLOSED, message=_("One of the tickets was already merged."))
        if target.status == TicketStatus.CLOSED:
            raise DomainError(code=TicketErrorCode.MERGE_CLOSED, message=_("Merge into an open ticket."))
        source_status = source.status
        fields = _apply_status(source, TicketStatus.CLOSED, now) if source.status != TicketStatus.CLOSED else []
        source.merged_into = target
        _save(source, now, *fields, "merged_into")
        TicketLink.objects.get_or_create(from_ticket=source, to_ticket=target, defaults={"kind": LinkKind.DUPLICATE})
        for att in TicketAttachment.objects.filter(ticket=source):
            TicketAttachment.objects.get_or_create(ticket=target, document_id=att.document_id, defaults={"is_public": att.is_public})
        event_write(ticket=source, kind=EventKind.MERGED_INTO, actor=actor, at=now, to=target.number)
        event_write(ticket=target, kind=EventKind.MERGED, actor=actor, at=now, source=source.number, source_title=source.title)
        _save(target, now)
        reactions.publish(TicketMerged(**_fact(source, actor, now), into_id=target.pk, into_number=target.number))
        if source.status != source_status:
            reactions.publish(*_status_facts(source, actor, now, source_status))
    return target


# --- time-driven -----------------------------------------------------------------------------------


def ticket_auto_close(*, ticket_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """Close a resolved ticket whose auto-close time has come. Claimed with a conditional UPDATE, so
    two clocks never close it twice; a ticket reopened meanwhile no longer matches. Returns whether
    this call closed it."""
    now = now or timezone.now()
    with ticket_change():
        claimed = Ticket.objects.filter(
            pk=ticket_id, status=TicketStatus.RESOLVED, auto_close_due_at=due_at
        ).update(status=TicketStatus.CLOSED, closed_at=now, auto_close_due_at=None, updated_at=now)
        if claimed != 1:
            return False
        ticket = Ticket.objects.get(pk=ticket_id)
        event_write(ticket=ticket, kind=EventKind.AUTO_CLOSED, actor=None, at=now, data={"from": TicketStatus.RESOLVED, "to": TicketStatus.CLOSED})
        reactions.publish(*_status_facts(ticket, None, now, TicketStatus.RESOLVED, auto=True))
    return True


def idempotency_key_expire(*, key_id: int, due_at: datetime) -> bool:
    """Clock job: delete an expired Idempotency-Key (conditional on the expiry the clock read)."""
    deleted, _rows = IdempotencyKey.objects.filter(pk=key_id, expires_at=due_at).delete()
    return deleted > 0
