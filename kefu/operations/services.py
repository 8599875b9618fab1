"""Writes for emergency plans and their incidents. Every write checks access; the clock escalates
unacknowledged notices (`notice_escalate`). Notifications: the notice row is the in-app alert (the
operations page and the nav show it at once), mail goes out after commit to everyone notified."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import Conflict, DomainError, NotFound
from kefu.operations.access import (
    access_incident,
    require_incident_worker,
    require_lead,
    require_manager,
    require_staff,
)
from kefu.operations.choices import Duty, IncidentEventKind, IncidentStatus, PlanKind, Trigger
from kefu.operations.errors import OperationsErrorCode as E
from kefu.operations.models import (
    LEVELS,
    EmergencyPlan,
    Incident,
    IncidentEvent,
    IncidentNotice,
    IncidentReview,
    IncidentStep,
    PlanLevel,
    PlanRole,
    ReviewAction,
)
from kefu.sla.notify import EmailChannel, OutboundMessage, send_all

logger = logging.getLogger("kefu.operations")


def _invalid(name: str, message: str) -> DomainError:
    return DomainError(code=E.INVALID_INPUT, message=message, fields={name: [message]}, status=422)


# --- plans ---------------------------------------------------------------------------------------------


@dataclass
class LevelInput:
    level: int
    title: str = ""
    ack_minutes: int = 5
    steps: list[str] = field(default_factory=list)
    materials: str = ""
    outside_contacts: str = ""
    roles: list[tuple[int, str]] = field(default_factory=list)  # (user id, duty)


def plan_create(
    *, actor: User, name: str, kind: str, description: str = "", levels: Sequence[LevelInput] = ()
) -> EmergencyPlan:
    """A plan with up to three response levels (managers only). Refuses an unknown kind, a level
    outside 1–3 or twice, a duty that does not exist, a user who is not active staff."""
    require_manager(actor)
    if not name.strip():
        raise _invalid("name", _("Name the plan."))
    if kind not in PlanKind.values:
        raise _invalid("kind", _("Choose a plan kind."))
    seen: set[int] = set()
    for lv in levels:
        if lv.level not in LEVELS or lv.level in seen:
            raise _invalid("levels", _("Levels are 1, 2 and 3, each once."))
        seen.add(lv.level)
        if lv.ack_minutes < 1:
            raise _invalid("ack_minutes", _("Give at least one minute to acknowledge."))
        if any(duty not in Duty.values for _u, duty in lv.roles):
            raise _invalid("roles", _("Choose a duty for every person."))
        if len({u for u, _d in lv.roles}) != len(lv.roles):
            raise _invalid("roles", _("A person is in a level's chain once."))
    user_ids = {u for lv in levels for u, _d in lv.roles}
    if len(User.objects.filter(pk__in=user_ids, is_active=True)) != len(user_ids):
        raise _invalid("roles", _("Every person in the chain must be an active user."))
    with transaction.atomic():
        plan = EmergencyPlan.objects.create(name=name.strip()[:100], kind=kind, description=description)
        for lv in levels:
            level = PlanLevel.objects.create(
                plan=plan, level=lv.level, title=lv.title[:100], ack_minutes=lv.ack_minutes,
                steps=[s.strip()[:300] for s in lv.steps if s.strip()], materials=lv.materials,
                outside_contacts=lv.outside_contacts,
            )  # fmt: skip
            PlanRole.objects.bulk_create(
                [PlanRole(level=level, user_id=u, duty=d, position=i) for i, (u, d) in enumerate(lv.roles)]
            )
    return plan


# --- incidents -----------------------------------------------------------------------------------------


def _event(incident: Incident, kind: str, text: str, *, actor: User | None, at: datetime) -> None:
    IncidentEvent.objects.create(incident=incident, kind=kind, text=text, actor=actor, created_at=at)


def _channels(user: User) -> list[str]:
    return ["in_app"] + (["email"] if user.email else [])


def _notify(incident: Incident, level: PlanLevel | None, people: Sequence[tuple[User, str]], now: datetime) -> list[IncidentNotice]:
    """Tell `people` (user, duty) of the incident at once; users already told are skipped. Mail
    after commit, one message to all of them."""
    told = set(incident.notices.values_list("user_id", flat=True))
    fresh = [(u, d) for u, d in people if u.pk not in told and u.is_active]
    due = now + timedelta(minutes=level.ack_minutes if level else 5)
    notices = IncidentNotice.objects.bulk_create(
        [
            IncidentNotice(
                incident=incident, user=u, duty=d, level=incident.level, channels=",".join(_channels(u)),
                sent_at=now, escalate_due_at=due,
            )
            for u, d in fresh
        ]
    )
    if not fresh:
        return []
    names = "、".join(u.name for u, _d in fresh)
    _event(incident, IncidentEventKind.NOTIFIED, names, actor=None, at=now)
    drill = _("[Drill] ") if incident.is_drill else ""
    message = OutboundMessage(
        title=f"{drill}{_('Emergency plan activated')}: {incident.plan.name} · {_('level %(n)s') % {'n': incident.level}}",
        body=_("%(title)s — acknowledge on the incident page.") % {"title": incident.title},
        link=f"{settings.SITE_ROOT}/operations/incidents/{incident.pk}/",
        emails=tuple(sorted({u.email for u, _d in fresh if u.email})),
    )
    transaction.on_commit(lambda: send_all([EmailChannel()], message))
    return notices


def _level(incident: Incident, n: int) -> PlanLevel | None:
    return PlanLevel.objects.filter(plan_id=incident.plan_id, level=n).first()


def _chain(level: PlanLevel | None) -> list[tuple[User, str]]:
    if level is None:
        return []
    return [(r.user, r.duty) for r in level.roles.select_related("user").order_by("position", "id")]


def _add_steps(incident: Incident, level: PlanLevel | None) -> None:
    if level is None:
        return
    IncidentStep.objects.bulk_create(
        [IncidentStep(incident=incident, level=level.level, position=i, text=s) for i, s in enumerate(level.steps)]
    )


def _activate(
    *, plan: EmergencyPlan, level: int, title: str, is_drill: bool, trigger: str, actor: User | None, now: datetime
) -> Incident:
    if level not in LEVELS:
        raise _invalid("level", _("Choose level 1, 2 or 3."))
    if not plan.is_active:
        raise Conflict(code=E.PLAN_INACTIVE, message=_("This plan is not in use."))
    with transaction.atomic():
        incident = Incident.objects.create(
            plan=plan, level=level, title=(title.strip() or plan.name)[:200], is_drill=is_drill, trigger=trigger,
            activated_by=actor, activated_at=now,
        )  # fmt: skip
        text = _("Drill started") if is_drill else _("Plan activated")
        _event(incident, IncidentEventKind.ACTIVATED, f"{text} · {_('level %(n)s') % {'n': level}}", actor=actor, at=now)
        plan_level = _level(incident, level)
        _add_steps(incident, plan_level)
        _notify(incident, plan_level, _chain(plan_level), now)
    return incident


def incident_activate(
    *, actor: User, plan_id: int, level: int, title: str = "", is_drill: bool = False, now: datetime | None = None
) -> Incident:
    """One-click activation by a lead, a manager or an admin: the level's whole chain is notified in
    the same transaction (in-app at once, mail on commit), each notice due for acknowledgement
    within the level's `ack_minutes`. A drill runs the same way with its flag set."""
    require_lead(actor)
    plan = EmergencyPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(code=E.PLAN_NOT_FOUND, message=_("Emergency plan not found."))
    return _activate(plan=plan, level=level, title=title, is_drill=is_drill, trigger=Trigger.MANUAL, actor=actor, now=now or timezone.now())


def incident_activate_by_rule(*, plan_id: int, level: int, reason: str, now: datetime | None = None) -> Incident | None:
    """A rule (a queue over N, an SLA breach storm, a complaint warning) starts the plan. System
    write; no second incident while one of the plan is active (returns None)."""
    now = now or timezone.now()
    with transaction.atomic():
        plan = EmergencyPlan.objects.select_for_update().filter(pk=plan_id, is_active=True).first()
        if plan is None or plan.incidents.filter(status=IncidentStatus.ACTIVE, is_drill=False).exists():
            return None
        return _activate(plan=plan, level=level, title=reason, is_drill=False, trigger=Trigger.RULE, actor=None, now=now)


def _open_incident(actor: User, incident_id: int) -> Incident:
    incident = access_incident(user=actor, incident_id=incident_id, for_update=True)
    if incident.status != IncidentStatus.ACTIVE:
        raise Conflict(code=E.INCIDENT_CLOSED, message=_("This incident is closed."))
    return incident


def incident_acknowledge(*, actor: User, incident_id: int, now: datetime | None = None) -> IncidentNotice:
    """The person notified says they have it; their escalation stops. Acknowledging twice is a no-op."""
    now = now or timezone.now()
    with transaction.atomic():
        incident = access_incident(user=actor, incident_id=incident_id)
        notice = IncidentNotice.objects.select_for_update().filter(incident=incident, user=actor).first()
        if notice is None:
            raise Conflict(code=E.NOT_NOTIFIED, message=_("You are not in this incident's chain."))
        if notice.acknowledged_at is None:
            notice.acknowledged_at = now
            notice.escalate_due_at = None
            notice.save(update_fields=["acknowledged_at", "escalate_due_at"])
            _event(incident, IncidentEventKind.ACKNOWLEDGED, actor.name, actor=actor, at=now)
    return notice


def _escalation_targets(incident: Incident) -> list[tuple[User, str]]:
    """The next people up: the next level's chain, then the active managers."""
    for n in range(incident.level + 1, 4):
        chain = _chain(_level(incident, n))
        told = set(incident.notices.values_list("user_id", flat=True))
        fresh = [(u, d) for u, d in chain if u.pk not in told]
        if fresh:
            return fresh
    managers = User.objects.filter(is_active=True, role__in=[Role.MANAGER, Role.ADMIN]).order_by("id")
    return [(u, Duty.DECIDES) for u in managers]


def notice_escalate(*, notice_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock's handler: a notice not acknowledged in time. Claims the row (conditional UPDATE
    on the due time), records the escalation on the timeline and notifies the next people up."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = IncidentNotice.objects.filter(pk=notice_id, escalate_due_at=due_at, acknowledged_at__isnull=True).update(
            escalate_due_at=None, escalated_at=now
        )
        if claimed != 1:
            return False
        notice = IncidentNotice.objects.select_related("incident__plan", "user").get(pk=notice_id)
        incident = notice.incident
        if incident.status != IncidentStatus.ACTIVE:
            return True
        targets = _escalation_targets(incident)
        names = "、".join(u.name for u, _d in targets if u.pk != notice.user_id) or "—"
        _event(
            incident, IncidentEventKind.ESCALATED,
            _("%(who)s did not acknowledge in time; escalated to %(to)s") % {"who": notice.user.name, "to": names},
            actor=None, at=now,
        )  # fmt: skip
        _notify(incident, _level(incident, incident.level), targets, now)
    return True


def incident_step_done(*, actor: User, incident_id: int, step_id: int, now: datetime | None = None) -> IncidentStep:
    """Tick a checklist step (people in the chain, leads and managers)."""
    now = now or timezone.now()
    with transaction.atomic():
        incident = _open_incident(actor, incident_id)
        require_incident_worker(actor, incident)
        step = IncidentStep.objects.select_for_update().filter(incident=incident, pk=step_id).first()
        if step is None:
            raise NotFound(code=E.STEP_NOT_FOUND, message=_("Step not found."))
        if step.done_at is None:
            step.done_at, step.done_by = now, actor
            step.save(update_fields=["done_at", "done_by"])
            _event(incident, IncidentEventKind.STEP_DONE, step.text, actor=actor, at=now)
    return step


def incident_change_level(*, actor: User, incident_id: int, level: int, now: datetime | None = None) -> Incident:
    """Raise or lower the response level: the new level's steps are added and its chain notified."""
    now = now or timezone.now()
    if level not in LEVELS:
        raise _invalid("level", _("Choose level 1, 2 or 3."))
    with transaction.atomic():
        incident = _open_incident(actor, incident_id)
        require_lead(actor)
        if level == incident.level:
            return incident
        before = incident.level
        incident.level = level
        incident.save(update_fields=["level"])
        _event(incident, IncidentEventKind.LEVEL_CHANGED, f"{before} → {level}", actor=actor, at=now)
        plan_level = _level(incident, level)
        have = set(incident.steps.filter(level=level).values_list("position", flat=True))
        if not have:
            _add_steps(incident, plan_level)
        _notify(incident, plan_level, _chain(plan_level), now)
    return incident


def incident_message(*, actor: User, incident_id: int, text: str, now: datetime | None = None) -> IncidentEvent:
    """A message on the timeline (what was done, what is known)."""
    if not text.strip():
        raise _invalid("text", _("Write the message."))
    now = now or timezone.now()
    with transaction.atomic():
        incident = _open_incident(actor, incident_id)
        require_incident_worker(actor, incident)
        return IncidentEvent.objects.create(
            incident=incident, kind=IncidentEventKind.MESSAGE, text=text.strip()[:2000], actor=actor, created_at=now
        )


def incident_close(*, actor: User, incident_id: int, now: datetime | None = None) -> Incident:
    """End the incident (leads and managers); open escalations stop."""
    now = now or timezone.now()
    with transaction.atomic():
        incident = _open_incident(actor, incident_id)
        require_lead(actor)
        incident.status, incident.closed_at = IncidentStatus.CLOSED, now
        incident.save(update_fields=["status", "closed_at"])
        incident.notices.filter(escalate_due_at__isnull=False).update(escalate_due_at=None)
        _event(incident, IncidentEventKind.CLOSED, "", actor=actor, at=now)
    return incident


@dataclass
class ActionInput:
    text: str
    owner_id: int
    due_on: date


def review_write(
    *, actor: User, incident_id: int, key_points: str, causes: str = "", actions: Sequence[ActionInput] = (),
    now: datetime | None = None,
) -> IncidentReview:
    """The review (复盘) of a closed incident (leads and managers), once, with improvement actions
    that each have an owner and a due date."""
    now = now or timezone.now()
    require_lead(actor)
    if not key_points.strip():
        raise _invalid("key_points", _("Write the key points."))
    owners = {a.owner_id for a in actions}
    if len(User.objects.filter(pk__in=owners, is_active=True)) != len(owners):
        raise _invalid("actions", _("Every action needs an owner who is an active user."))
    if any(not a.text.strip() for a in actions):
        raise _invalid("actions", _("Describe every action."))
    with transaction.atomic():
        incident = access_incident(user=actor, incident_id=incident_id, for_update=True)
        if incident.status != IncidentStatus.CLOSED:
            raise Conflict(code=E.INCIDENT_OPEN, message=_("Close the incident before its review."))
        if IncidentReview.objects.filter(incident=incident).exists():
            raise Conflict(code=E.REVIEW_EXISTS, message=_("This incident has been reviewed already."))
        review = IncidentReview.objects.create(
            incident=incident, key_points=key_points.strip(), causes=causes.strip(), written_by=actor, written_at=now
        )
        ReviewAction.objects.bulk_create(
            [ReviewAction(review=review, text=a.text.strip()[:300], owner_id=a.owner_id, due_on=a.due_on) for a in actions]
        )
        _event(incident, IncidentEventKind.REVIEWED, "", actor=actor, at=now)
    return review


def review_action_done(*, actor: User, action_id: int, now: datetime | None = None) -> ReviewAction:
    """The owner (or a lead or manager) marks an improvement action done."""
    require_staff(actor)
    with transaction.atomic():
        action = ReviewAction.objects.select_for_update().filter(pk=action_id).first()
        if action is None or (action.owner_id != actor.pk and not (actor.is_supervising or actor.role == Role.TEAM_LEAD)):
            raise NotFound(code=E.INCIDENT_NOT_FOUND, message=_("Action not found."))
        if action.done_at is None:
            action.done_at = now or timezone.now()
            action.save(update_fields=["done_at"])
    return action
