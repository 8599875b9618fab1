"""Every write of the satisfaction loop: schedule, send, remind, expire and answer surveys; open and
log callbacks; plan callbacks; the dissatisfied-customer archive and its care actions.

Time-driven steps (send, remind, expire, follow-up, daily summary) are called by the clock
(kefu/surveys/clock.py) and claim their row with a conditional UPDATE on the due column, so two
clocks never do the same work twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core import calendar as core_calendar
from kefu.core.errors import Conflict, DomainError, NotFound
from kefu.customers.models import Customer
from kefu.sla.config import get_config
from kefu.sla.models import BusinessCalendar
from kefu.surveys import rules
from kefu.surveys.access import (
    access_callback,
    access_care_action,
    access_case,
    access_survey_by_token,
    require_callback_write,
    require_care,
    require_manager,
    survey_token,
)
from kefu.surveys.channels import SurveyMessage, channel_named, pick_channel
from kefu.surveys.choices import (
    CallbackOutcome,
    CallbackSource,
    CallbackStatus,
    CareKind,
    CareStatus,
    CaseCloseReason,
    CaseReason,
    CaseStatus,
    Dimension,
    SkipReason,
    SurveyStatus,
)
from kefu.surveys.errors import SurveyErrorCode
from kefu.surveys.models import (
    Callback,
    CallbackAttempt,
    CallbackPlan,
    CareAction,
    CaseEntry,
    DailySummary,
    DissatisfiedCase,
    Survey,
    SurveyTemplate,
)
from kefu.surveys.selectors import callback_day_summary
from kefu.surveys.tasks import summary_mail_task
from kefu.tickets.access import access_ticket
from kefu.tickets.choices import TicketKind, TicketStatus
from kefu.tickets.models import Ticket
from kefu.tickets.reactions import TicketState, TicketSurveyAnswered, publish

logger = logging.getLogger("kefu.surveys")

SEND_RETRY = timedelta(minutes=10)
SEND_MAX_ATTEMPTS = 3
# An unreached customer is tried again this many business hours later.
CALLBACK_RETRY_BUSINESS_HOURS = 4
SUMMARY_LOCAL_TIME = time(18, 0)


# --- helpers -----------------------------------------------------------------------------------------


def default_calendar() -> core_calendar.BusinessCalendar:
    """The default business calendar of kefu.sla (holidays and 调休 included); 24×7 if none is set."""
    cal_id = BusinessCalendar.objects.filter(is_default=True).values_list("pk", flat=True).first()
    calendars = get_config().calendars
    if cal_id is not None and cal_id in calendars:
        return calendars[cal_id]
    return core_calendar.BusinessCalendar.always_open(settings.TIME_ZONE)


def business_due(start: datetime, hours: int) -> datetime:
    return core_calendar.add_business_time(start, timedelta(hours=hours), default_calendar())


def _template_for(ticket: Ticket) -> SurveyTemplate | None:
    return template_for_contact(kind=ticket.kind, channel=ticket.channel, team_id=ticket.team_id)


def template_for_contact(
    *, channel: str, kind: str = "", team_id: int | None = None
) -> SurveyTemplate | None:
    """The survey template for a contact on `channel` (a ticket, or a live chat asking for its
    rating at the end): the first active one by position whose matchers match; the default otherwise."""
    templates = list(SurveyTemplate.objects.filter(is_active=True))
    chosen = rules.pick_template(
        [
            rules.TemplateRule(
                id=t.pk,
                position=t.position,
                is_default=t.is_default,
                kinds=frozenset(t.match_kinds or ()),
                channels=frozenset(t.match_channels or ()),
                team_id=t.match_team_id,
            )
            for t in templates
        ],
        kind=kind,
        channel=channel,
        team_id=team_id,
    )
    return next((t for t in templates if t.pk == chosen), None)


def contact_rated(
    *,
    template: SurveyTemplate,
    customer_id: int | None,
    ticket_id: int | None,
    csat: int,
    comment: str,
    note: str,
    now: datetime | None = None,
) -> DissatisfiedCase | None:
    """A rating given outside a survey link (the stars at the end of a live chat), judged by the
    template's thresholds and negative words like a survey answer: a low one puts a known customer
    in the dissatisfied archive for the same follow-up. Call inside the caller's transaction."""
    low = rules.low_reasons(
        csat=csat,
        nps=None,
        comment=comment,
        low_csat=template.low_csat,
        low_nps=template.low_nps,
        negative_words=template.negative_words or (),
    )
    if not low or customer_id is None:
        return None
    return dissatisfied_enter(
        customer_id=customer_id, reason=CaseReason.LOW_SCORE, ticket_id=ticket_id, note=note, now=now
    )


def _lead_of(team_id: int | None) -> User | None:
    if team_id is None:
        return None
    return User.objects.filter(team_id=team_id, role=Role.TEAM_LEAD, is_active=True).order_by("pk").first()


def _served_by(ticket: Ticket) -> int | None:
    return ticket.assignee_id or ticket.owner_id


# --- scheduling (the ticket hook) -------------------------------------------------------------------


def survey_schedule_for_ticket(*, ticket_id: int, now: datetime | None = None) -> Survey | None:
    """Called inside the transaction that resolves a ticket. Writes due rows only (nothing is sent
    here; the clock sends): the survey, due after the template's delay; the callbacks of matching
    callback plans; and, for a complaint, the customer's entry in the dissatisfied archive.

    Idempotent: a ticket whose survey is still pending or answered gets no second one."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.filter(pk=ticket_id).first()
        if ticket is None or ticket.customer_id is None or ticket.merged_into_id is not None:
            return None
        callback_plans_apply(ticket=ticket, start=ticket.resolved_at or now, now=now)
        if ticket.kind == TicketKind.COMPLAINT:
            dissatisfied_enter(
                customer_id=ticket.customer_id, reason=CaseReason.COMPLAINT, ticket_id=ticket.pk, now=now
            )
        existing = (
            Survey.objects.filter(ticket_id=ticket.pk)
            .exclude(status__in=(SurveyStatus.SKIPPED, SurveyStatus.FAILED))
            .first()
        )
        if existing is not None:
            return existing
        template = _template_for(ticket)
        if template is None:
            return None
        delay = timedelta(minutes=min(template.delay_minutes, 24 * 60))
        return Survey.objects.create(
            ticket=ticket,
            customer_id=ticket.customer_id,
            template=template,
            agent_id=_served_by(ticket),
            team_id=ticket.team_id,
            category_id=ticket.category_id,
            created_at=now,
            send_due_at=(ticket.resolved_at or now) + delay,
        )


def survey_dispatch(*, survey_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """Clock: a scheduled survey is due. Claims it (scheduled → queued), then skips it when the
    ticket was reopened, the customer was surveyed within the template's window, or cannot be
    reached; otherwise the send task is enqueued after commit. Returns whether this call claimed it."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Survey.objects.filter(
            pk=survey_id, status=SurveyStatus.SCHEDULED, send_due_at=due_at
        ).update(status=SurveyStatus.QUEUED, send_due_at=None)
        if claimed != 1:
            return False
        survey = Survey.objects.select_related("template", "ticket", "customer").get(pk=survey_id)
        # The promise is a survey within 24 hours of service: one that would go out later than that
        # (the clock was down, or history was imported) is skipped, not sent days late.
        skip = SkipReason.TOO_LATE if now - due_at > SEND_LATE_LIMIT else _skip_reason(survey, now)
        if skip:
            survey.status = SurveyStatus.SKIPPED
            survey.skip_reason = skip
            survey.save(update_fields=["status", "skip_reason"])
            return True
        assert survey.customer is not None
        picked = pick_channel(survey.ticket.channel, survey.customer)
        if picked is None:
            survey.status = SurveyStatus.SKIPPED
            survey.skip_reason = SkipReason.NO_CONTACT
            survey.save(update_fields=["status", "skip_reason"])
            return True
        survey.channel = picked[0].name
        survey.save(update_fields=["channel"])
        _enqueue_send(survey.pk, reminder=False)
    return True


SEND_LATE_LIMIT = timedelta(hours=24)


def _skip_reason(survey: Survey, now: datetime) -> str:
    if survey.customer_id is None:
        return SkipReason.NO_CUSTOMER
    if survey.ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        return SkipReason.REOPENED
    window = now - timedelta(days=survey.template.min_days_between)
    recent = (
        Survey.objects.filter(customer_id=survey.customer_id, sent_at__gte=window)
        .exclude(pk=survey.pk)
        .exists()
    )
    return SkipReason.THROTTLED if recent else ""


def _enqueue_send(survey_id: int, *, reminder: bool) -> None:
    transaction.on_commit(lambda: survey_send_task.enqueue(survey_id=survey_id, reminder=reminder))


def survey_link(survey: Survey) -> str:
    path = reverse("surveys:answer", kwargs={"token": survey_token(survey)})
    return f"{settings.SITE_ROOT.rstrip('/')}{path}"


def _message(survey: Survey, *, reminder: bool) -> SurveyMessage:
    with translation.override(settings.LANGUAGE_CODE):
        if reminder:
            subject = _("[%(number)s] A reminder: how did we do?") % {"number": survey.ticket.number}
        else:
            subject = _("[%(number)s] How did we do?") % {"number": survey.ticket.number}
        text = _(
            "Your request “%(title)s” has been handled. Please rate our service (two taps, valid for %(days)s days):"
        ) % {
            "title": survey.ticket.title,
            "days": survey.template.expire_days,
        }
    return SurveyMessage(subject=str(subject), text=str(text), link=survey_link(survey))


def survey_deliver(*, survey_id: int, reminder: bool = False, now: datetime | None = None) -> bool:
    """The send task's work. First delivery: claims queued → sent (with the reminder and expiry
    times), then sends; if the channel fails the survey goes back to scheduled 10 minutes later, up
    to 3 attempts, then failed. A reminder is sent only while the survey is still unanswered.
    Idempotent: a repeated run of a delivered survey does nothing."""
    now = now or timezone.now()
    survey = Survey.objects.select_related("template", "ticket", "customer").filter(pk=survey_id).first()
    if survey is None or survey.customer is None:
        return False
    channel = channel_named(survey.channel)
    if reminder:
        if survey.status != SurveyStatus.SENT or channel is None:
            return False
        address = channel.address(survey.customer)
        if not address:
            return False
        try:
            channel.send(address, _message(survey, reminder=True))
        except Exception:
            logger.exception("surveys: reminder of survey %s failed", survey_id)
            return False
        return True
    template = survey.template
    expires = now + timedelta(days=template.expire_days)
    remind_at = now + timedelta(hours=template.remind_after_hours) if template.remind_after_hours else None
    if remind_at is not None and remind_at >= expires:
        remind_at = None
    with transaction.atomic():
        claimed = Survey.objects.filter(pk=survey_id, status=SurveyStatus.QUEUED).update(
            status=SurveyStatus.SENT,
            sent_at=now,
            expires_at=expires,
            expire_due_at=expires,
            reminder_due_at=remind_at,
            send_attempts=survey.send_attempts + 1,
        )
    if claimed != 1:
        return False
    address = channel.address(survey.customer) if channel else ""
    try:
        if channel is None or not address:
            raise RuntimeError(f"channel {survey.channel!r} is not available")
        channel.send(address, _message(survey, reminder=False))
    except Exception:
        logger.exception("surveys: sending survey %s failed", survey_id)
        failed = survey.send_attempts + 1 >= SEND_MAX_ATTEMPTS
        Survey.objects.filter(pk=survey_id, status=SurveyStatus.SENT, answered_at__isnull=True).update(
            status=SurveyStatus.FAILED if failed else SurveyStatus.SCHEDULED,
            send_due_at=None if failed else now + SEND_RETRY,
            sent_at=None,
            expires_at=None,
            expire_due_at=None,
            reminder_due_at=None,
        )
        return False
    return True


def survey_remind(*, survey_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """Clock: the one reminder of an unanswered survey. Claims the due row, sends after commit."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Survey.objects.filter(
            pk=survey_id, status=SurveyStatus.SENT, reminder_due_at=due_at
        ).update(reminder_due_at=None, reminded_at=now)
        if claimed != 1:
            Survey.objects.filter(pk=survey_id, reminder_due_at=due_at).exclude(
                status=SurveyStatus.SENT
            ).update(reminder_due_at=None)
            return False
        _enqueue_send(survey_id, reminder=True)
    return True


def survey_expire(*, survey_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """Clock: an unanswered survey's link stops working."""
    with transaction.atomic():
        claimed = Survey.objects.filter(pk=survey_id, status=SurveyStatus.SENT, expire_due_at=due_at).update(
            status=SurveyStatus.EXPIRED, expire_due_at=None, reminder_due_at=None
        )
        if claimed != 1:
            Survey.objects.filter(pk=survey_id, expire_due_at=due_at).update(expire_due_at=None)
    return claimed == 1


# --- answering ---------------------------------------------------------------------------------------


def survey_open_for_answer(*, token: str, now: datetime | None = None) -> Survey:
    """The survey behind a link, if it can still be answered; NotFound / Conflict / 410 otherwise."""
    now = now or timezone.now()
    survey = access_survey_by_token(token)
    _check_answerable(survey, now)
    return survey


def _check_answerable(survey: Survey, now: datetime) -> None:
    if survey.status == SurveyStatus.ANSWERED:
        raise Conflict(
            code=SurveyErrorCode.ALREADY_ANSWERED,
            message=_("This survey has already been answered. Thank you!"),
        )
    if survey.status == SurveyStatus.EXPIRED or (
        survey.status == SurveyStatus.SENT and survey.expires_at is not None and survey.expires_at <= now
    ):
        raise DomainError(
            code=SurveyErrorCode.EXPIRED, message=_("This survey link has expired."), status=410
        )
    if survey.status != SurveyStatus.SENT:
        raise NotFound(code=SurveyErrorCode.NOT_OPEN, message=_("This survey link is not valid."))


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(code=SurveyErrorCode.INVALID_ANSWER, message=message, fields={field: [message]})


def survey_answer(
    *,
    token: str,
    csat: int | None = None,
    nps: int | None = None,
    dimension_scores: dict[str, int] | None = None,
    reasons: list[str] | None = None,
    comment: str = "",
    now: datetime | None = None,
) -> Survey:
    """The customer answers through the link, once. Locks the survey row; a replay gets Conflict, an
    expired link 410. A low answer (template thresholds, or a negative word in the comment) owes a
    callback: `followup_due_at` is set with the answer, and the callback (plus the archive entry) is
    created in the same transaction inside a savepoint. Should that step fail, the answer still
    stands and the clock's follow-up job creates the callback. A satisfied answer takes the
    customer out of the dissatisfied archive."""
    now = now or timezone.now()
    comment = (comment or "").strip()[:2000]
    with transaction.atomic():
        survey = access_survey_by_token(token, for_update=True)
        _check_answerable(survey, now)
        template = survey.template
        if csat is not None and not (1 <= csat <= 5):
            raise _invalid("csat", _("Pick a score from 1 to 5."))
        if nps is not None and not (0 <= nps <= 10):
            raise _invalid("nps", _("Pick a score from 0 to 10."))
        if template.ask_csat and csat is None:
            raise _invalid("csat", _("Please pick a score."))
        if not template.ask_csat and nps is None:
            raise _invalid("nps", _("Please pick a score."))
        dims: dict[str, int] = {}
        for name, value in (dimension_scores or {}).items():
            if name not in template.dimensions or name not in Dimension.values:
                raise _invalid("dimensions", _("Unknown question."))
            if not (1 <= int(value) <= 5):
                raise _invalid(f"dim_{name}", _("Pick a score from 1 to 5."))
            dims[name] = int(value)
        picked = [r for r in (reasons or []) if r]
        if any(r not in template.reasons for r in picked):
            raise _invalid("reasons", _("Unknown reason."))
        low = rules.low_reasons(
            csat=csat,
            nps=nps,
            comment=comment,
            low_csat=template.low_csat,
            low_nps=template.low_nps,
            negative_words=template.negative_words or (),
        )
        survey.status = SurveyStatus.ANSWERED
        survey.answered_at = now
        survey.csat = csat
        survey.nps = nps if template.ask_nps or nps is not None else None
        survey.dimension_scores = dims
        survey.reasons = picked
        survey.comment = comment
        survey.is_low = bool(low)
        survey.low_because = low
        survey.reminder_due_at = None
        survey.expire_due_at = None
        survey.followup_due_at = now if low else None
        survey.save(
            update_fields=[
                "status",
                "answered_at",
                "csat",
                "nps",
                "dimension_scores",
                "reasons",
                "comment",
                "is_low",
                "low_because",
                "reminder_due_at",
                "expire_due_at",
                "followup_due_at",
            ]
        )
        # The ticket spine's fact (kefu/tickets/reactions.py): customer care's points react after commit.
        publish(
            TicketSurveyAnswered(
                ticket=TicketState.of(survey.ticket),
                at=now,
                by_customer=True,
                survey_id=survey.pk,
                score=csat if csat is not None else nps,
                dissatisfied=bool(low),
            )
        )
        if low:
            try:
                with transaction.atomic():
                    _follow_up(survey, now)
            except Exception:
                logger.exception("surveys: callback for survey %s failed; the clock will retry", survey.pk)
        elif survey.customer_id and rules.is_satisfied(csat=csat, nps=nps, low=False):
            _close_open_case(
                customer_id=survey.customer_id, reason=CaseCloseReason.SATISFIED, actor=None, note="", now=now
            )
    return survey


def _follow_up(survey: Survey, now: datetime) -> Callback | None:
    """Open the low score's callback and archive entry, and clear the follow-up mark. Idempotent:
    the callback is one-to-one with the survey."""
    callback = Callback.objects.filter(survey_id=survey.pk).first()
    if callback is None and survey.customer_id is not None:
        ticket = survey.ticket
        owner_team_id = None
        if ticket.owner_id:
            owner_team_id = User.objects.filter(pk=ticket.owner_id).values_list("team_id", flat=True).first()
        team_id = owner_team_id or ticket.team_id
        lead = _lead_of(team_id)
        due = business_due(now, survey.template.callback_business_hours)
        callback = Callback.objects.create(
            source=CallbackSource.LOW_SCORE,
            customer_id=survey.customer_id,
            ticket_id=survey.ticket_id,
            survey=survey,
            assignee=lead,
            team_id=team_id,
            agent_id=survey.agent_id,
            category_id=survey.category_id,
            due_at=due,
            first_due_at=due,
            max_attempts=max(survey.template.callback_max_attempts, 1),
            created_at=now,
        )
        dissatisfied_enter(
            customer_id=survey.customer_id,
            reason=CaseReason.LOW_SCORE,
            ticket_id=survey.ticket_id,
            survey_id=survey.pk,
            note=survey.comment,
            owner_id=lead.pk if lead else None,
            now=now,
        )
    Survey.objects.filter(pk=survey.pk).update(followup_due_at=None)
    survey.followup_due_at = None
    return callback


def survey_followup(*, survey_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """Clock: an answered low survey whose callback was not created (the step failed, or the process
    died after the answer committed). Creates it now, exactly once."""
    now = now or timezone.now()
    with transaction.atomic():
        survey = (
            Survey.objects.select_for_update(of=("self",))
            .select_related("template", "ticket")
            .filter(pk=survey_id, followup_due_at=due_at, status=SurveyStatus.ANSWERED)
            .first()
        )
        if survey is None:
            return False
        _follow_up(survey, now)
    return True


# --- callbacks ---------------------------------------------------------------------------------------


def callback_plans_apply(*, ticket: Ticket, start: datetime, now: datetime | None = None) -> list[Callback]:
    """Create the callbacks of every active plan that matches the ticket (kind and/or category), one per
    offset day; a second call creates none (unique per plan, ticket and offset)."""
    now = now or timezone.now()
    plans = CallbackPlan.objects.filter(is_active=True).filter(
        Q(match_category__isnull=True) | Q(match_category_id=ticket.category_id)
    )
    out = []
    for plan in plans:
        if not plan.match_kinds and plan.match_category_id is None:
            continue  # a plan without matchers is only triggered explicitly (API / staff)
        if plan.match_kinds and ticket.kind not in plan.match_kinds:
            continue
        out += _plan_callbacks(plan=plan, ticket=ticket, customer_id=ticket.customer_id, start=start, now=now)
    return out


def _plan_callbacks(
    *, plan: CallbackPlan, ticket: Ticket | None, customer_id: int | None, start: datetime, now: datetime
) -> list[Callback]:
    if customer_id is None:
        return []
    agent_id = _served_by(ticket) if ticket else None
    team_id = ticket.team_id if ticket else None
    out = []
    for days in sorted({int(d) for d in plan.offsets_days or () if int(d) >= 0}):
        if (
            ticket is not None
            and Callback.objects.filter(plan=plan, ticket=ticket, plan_offset_days=days).exists()
        ):
            continue
        due = start + timedelta(days=days)
        out.append(
            Callback.objects.create(
                source=CallbackSource.PLAN,
                customer_id=customer_id,
                ticket=ticket,
                plan=plan,
                plan_offset_days=days,
                # The agent who served the customer calls back; the team lead when nobody did.
                assignee_id=agent_id or (lead.pk if (lead := _lead_of(team_id)) else None),
                team_id=team_id,
                agent_id=agent_id,
                category_id=ticket.category_id if ticket else None,
                due_at=due,
                first_due_at=due,
                max_attempts=max(plan.max_attempts, 1),
                created_at=now,
            )
        )
    return out


def callback_open_for_missed_call(
    *,
    customer_id: int,
    team_id: int | None,
    missed_at: datetime,
    hours: int,
    notes: str,
    now: datetime | None = None,
) -> Callback:
    """A missed or abandoned call becomes a callback (回拨) of the call's team, due `hours` business
    hours after the call, in the team's queue (the team lead is the assignee, as for a low score).
    Source "manual" with the call in the notes: a source of its own would need a surveys migration
    (see docs/channels.md). The caller (kefu.channels) keeps the callback id, so it opens one only."""
    lead = _lead_of(team_id)
    due = business_due(missed_at, max(hours, 1))
    return Callback.objects.create(
        source=CallbackSource.MANUAL,
        customer_id=customer_id,
        team_id=team_id,
        assignee=lead,
        due_at=due,
        first_due_at=due,
        max_attempts=3,
        notes=notes[:2000],
        created_at=now or timezone.now(),
    )


def callback_plan_schedule(
    *, actor: User, plan_code: str, ticket_number: str, service_at: datetime | None = None
) -> list[Callback]:
    """Schedule a plan's callbacks for a ticket the actor can see (e.g. a sale: delivery date + 7).
    Offsets count from `service_at` (default now)."""
    now = timezone.now()
    with transaction.atomic():
        ticket = access_ticket(user=actor, number=ticket_number)
        plan = CallbackPlan.objects.filter(code=plan_code, is_active=True).first()
        if plan is None:
            raise NotFound(code=SurveyErrorCode.PLAN_NOT_FOUND, message=_("Callback plan not found."))
        if ticket.customer_id is None:
            raise DomainError(
                code=SurveyErrorCode.INVALID_INPUT,
                message=_("The ticket has no customer to call back."),
                fields={"ticket": [_("The ticket has no customer to call back.")]},
            )
        return _plan_callbacks(
            plan=plan, ticket=ticket, customer_id=ticket.customer_id, start=service_at or now, now=now
        )


def callback_record_result(
    *,
    actor: User,
    callback_id: int,
    outcome: str,
    repaired: bool | None = None,
    notes: str = "",
    answers: dict[str, str] | None = None,
    now: datetime | None = None,
) -> Callback:
    """Log one call. Reached: the callback is done (with `repaired` for a low score). Not reached: it is
    due again CALLBACK_RETRY_BUSINESS_HOURS later until max_attempts, then it fails. A failed callback,
    or a reached customer whose problem is not repaired, enters the dissatisfied archive.
    Locks the callback row."""
    now = now or timezone.now()
    if outcome not in CallbackOutcome.values:
        raise DomainError(
            code=SurveyErrorCode.INVALID_RESULT,
            message=_("Pick a result."),
            fields={"outcome": [_("Pick a result.")]},
        )
    with transaction.atomic():
        callback = access_callback(user=actor, callback_id=callback_id, for_update=True)
        require_callback_write(actor, callback)
        if callback.status != CallbackStatus.OPEN:
            raise Conflict(
                code=SurveyErrorCode.CALLBACK_CLOSED, message=_("This callback is already closed.")
            )
        if (
            outcome == CallbackOutcome.REACHED
            and callback.source == CallbackSource.LOW_SCORE
            and repaired is None
        ):
            raise DomainError(
                code=SurveyErrorCode.INVALID_RESULT,
                message=_("Say whether the customer's problem is repaired."),
                fields={"repaired": [_("Required.")]},
            )
        CallbackAttempt.objects.create(
            callback=callback,
            actor=actor,
            outcome=outcome,
            repaired=repaired,
            notes=notes[:2000],
            answers=answers or {},
            created_at=now,
        )
        callback.attempts += 1
        callback.outcome = outcome
        callback.notes = notes[:2000] or callback.notes
        fields = ["attempts", "outcome", "notes"]
        archive_reason = None
        if outcome == CallbackOutcome.REACHED:
            callback.status = CallbackStatus.DONE
            callback.repaired = repaired
            callback.completed_at = now
            fields += ["status", "repaired", "completed_at"]
            if repaired is False:
                archive_reason = CaseReason.FAILED_CALLBACK
        elif callback.attempts >= callback.max_attempts:
            callback.status = CallbackStatus.FAILED
            callback.completed_at = now
            fields += ["status", "completed_at"]
            archive_reason = CaseReason.FAILED_CALLBACK
        else:
            callback.due_at = business_due(now, CALLBACK_RETRY_BUSINESS_HOURS)
            fields.append("due_at")
        callback.save(update_fields=fields)
        if archive_reason is not None:
            dissatisfied_enter(
                customer_id=callback.customer_id,
                reason=archive_reason,
                ticket_id=callback.ticket_id,
                note=notes,
                owner_id=callback.assignee_id,
                now=now,
            )
    return callback


# --- the dissatisfied-customer archive ---------------------------------------------------------------


def dissatisfied_enter(
    *,
    customer_id: int,
    reason: str,
    ticket_id: int | None = None,
    survey_id: int | None = None,
    note: str = "",
    owner_id: int | None = None,
    now: datetime | None = None,
) -> DissatisfiedCase:
    """Put a customer in the archive, or add the reason to their open case (one open case per
    customer, guaranteed by a partial unique index; a concurrent second opener adds an entry)."""
    now = now or timezone.now()
    for _attempt in range(2):
        case = (
            DissatisfiedCase.objects.select_for_update()
            .filter(customer_id=customer_id, status=CaseStatus.OPEN)
            .first()
        )
        if case is not None:
            same_ticket = Q(ticket_id=ticket_id) if ticket_id is not None else Q(ticket__isnull=True)
            if not CaseEntry.objects.filter(same_ticket, case=case, reason=reason).exists() and not (
                case.reason == reason and case.ticket_id == ticket_id
            ):
                CaseEntry.objects.create(
                    case=case, reason=reason, ticket_id=ticket_id, note=note[:2000], created_at=now
                )
            return case
        try:
            with transaction.atomic():
                return DissatisfiedCase.objects.create(
                    customer_id=customer_id,
                    reason=reason,
                    ticket_id=ticket_id,
                    survey_id=survey_id,
                    summary=note[:2000],
                    owner_id=owner_id,
                    opened_at=now,
                )
        except IntegrityError:
            continue  # another transaction opened it first: add to theirs
    raise RuntimeError("could not open or find the dissatisfied case")


def dissatisfied_note_complaint(*, ticket_id: int) -> DissatisfiedCase | None:
    """Hook for ticket intake: a complaint puts its customer in the archive."""
    ticket = Ticket.objects.filter(pk=ticket_id).only("pk", "kind", "customer_id").first()
    if ticket is None or ticket.customer_id is None or ticket.kind != TicketKind.COMPLAINT:
        return None
    with transaction.atomic():
        return dissatisfied_enter(
            customer_id=ticket.customer_id, reason=CaseReason.COMPLAINT, ticket_id=ticket.pk
        )


def dissatisfied_add(*, actor: User, customer_id: int, note: str) -> DissatisfiedCase:
    """Staff put a customer in the archive by hand (team leads and managers)."""
    if not (actor.is_supervising or actor.role == Role.TEAM_LEAD):
        raise DomainError(
            code=SurveyErrorCode.FORBIDDEN, message=_("Only team leads and managers may do this."), status=403
        )
    if not Customer.objects.filter(pk=customer_id).exists():
        raise NotFound(code=SurveyErrorCode.INVALID_INPUT, message=_("Customer not found."))
    with transaction.atomic():
        return dissatisfied_enter(
            customer_id=customer_id, reason=CaseReason.MANUAL, note=note, owner_id=actor.pk
        )


def _close_open_case(*, customer_id: int, reason: str, actor: User | None, note: str, now: datetime) -> bool:
    return (
        DissatisfiedCase.objects.filter(customer_id=customer_id, status=CaseStatus.OPEN).update(
            status=CaseStatus.CLOSED,
            closed_at=now,
            close_reason=reason,
            closed_by=actor,
            close_note=note[:2000],
        )
        == 1
    )


def dissatisfied_close(*, actor: User, case_id: int, note: str = "") -> DissatisfiedCase:
    """A manager closes a case (the customer is cared for). Planned care actions are cancelled."""
    require_manager(actor)
    now = timezone.now()
    with transaction.atomic():
        case = access_case(user=actor, case_id=case_id, for_update=True)
        if case.status != CaseStatus.OPEN:
            raise Conflict(code=SurveyErrorCode.CASE_CLOSED, message=_("This case is already closed."))
        case.status = CaseStatus.CLOSED
        case.closed_at = now
        case.close_reason = CaseCloseReason.MANAGER
        case.closed_by = actor
        case.close_note = note[:2000]
        case.save(update_fields=["status", "closed_at", "close_reason", "closed_by", "close_note"])
        case.care_actions.filter(status=CareStatus.PLANNED).update(status=CareStatus.CANCELLED)
    return case


def care_action_plan(
    *,
    actor: User,
    case_id: int,
    kind: str,
    planned_for: Any = None,
    amount: Decimal | None = None,
    notes: str = "",
) -> CareAction:
    """Plan a call, visit, gift or compensation for an open case."""
    if kind not in CareKind.values:
        raise DomainError(
            code=SurveyErrorCode.INVALID_INPUT,
            message=_("Pick a kind."),
            fields={"kind": [_("Pick a kind.")]},
        )
    if amount is not None and amount < 0:
        raise DomainError(
            code=SurveyErrorCode.INVALID_INPUT,
            message=_("The amount cannot be negative."),
            fields={"amount": [_("The amount cannot be negative.")]},
        )
    with transaction.atomic():
        case = access_case(user=actor, case_id=case_id, for_update=True)
        require_care(actor, case)
        if case.status != CaseStatus.OPEN:
            raise Conflict(code=SurveyErrorCode.CASE_CLOSED, message=_("This case is already closed."))
        return CareAction.objects.create(
            case=case,
            kind=kind,
            planned_for=planned_for,
            amount=amount,
            notes=notes[:2000],
            created_by=actor,
            created_at=timezone.now(),
        )


def care_action_done(*, actor: User, action_id: int, notes: str = "") -> CareAction:
    """Log a planned care action as done."""
    with transaction.atomic():
        action = access_care_action(user=actor, action_id=action_id, for_update=True)
        require_care(actor, action.case)
        if action.status != CareStatus.PLANNED:
            raise Conflict(
                code=SurveyErrorCode.CASE_CLOSED, message=_("This care action is not planned any more.")
            )
        action.status = CareStatus.DONE
        action.done_at = timezone.now()
        action.done_by = actor
        if notes:
            action.notes = f"{action.notes}\n{notes}".strip()[:4000]
        action.save(update_fields=["status", "done_at", "done_by", "notes"])
    return action


# --- daily summary -----------------------------------------------------------------------------------


def summary_due_at(day: Any) -> datetime:
    return datetime.combine(day, SUMMARY_LOCAL_TIME, tzinfo=ZoneInfo(settings.TIME_ZONE))


def summary_ensure(*, day: Any) -> DailySummary:
    """The summary row of a local day, due at 18:00 that day (created once)."""
    row, _created = DailySummary.objects.get_or_create(day=day, defaults={"due_at": summary_due_at(day)})
    return row


def summary_send(*, summary_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """Clock: at 18:00 local, compute the day's callback summary, mail it to the managers (after
    commit), and schedule tomorrow's."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = DailySummary.objects.filter(pk=summary_id, due_at=due_at).update(due_at=None, sent_at=now)
        if claimed != 1:
            return False
        row = DailySummary.objects.get(pk=summary_id)
        data = callback_day_summary(day=row.day, now=now)
        row.data = data
        row.save(update_fields=["data"])
        summary_ensure(day=row.day + timedelta(days=1))
        emails = list(
            User.objects.filter(role=Role.MANAGER, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        if emails:
            transaction.on_commit(lambda: summary_mail_task.enqueue(summary_id=summary_id))
    return True


@task()
def survey_send_task(*, survey_id: int, reminder: bool = False) -> None:
    """Deliver a survey (or its one reminder). Idempotent: survey_deliver claims the row first."""
    survey_deliver(survey_id=survey_id, reminder=reminder)
