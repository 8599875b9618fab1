"""Greetings and the care outbox, and the clock's daily care work.

`greetings_queue(day)` writes the day's greetings into the outbox: birthdays from the customer
profile, holidays from kefu/care/occasions.py and the configured dates, each by the occasion's active
template. Opted-out customers are skipped. The database holds one greeting per customer and date
(`care_one_greeting_per_day`), and the rows are written with ignore_conflicts, so running the day
again — a second clock, a restart, a retry — greets nobody twice. The clock then sends each queued
message on the template's channel, or on the next channel the customer can be reached on.

Sending uses the channels the satisfaction surveys use (kefu/surveys/channels.py): Django mail (the
file outbox in the demo) and the SMS / WeChat HTTP gateways when configured.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.care import occasions
from kefu.care.access import points_token, require_care_manager
from kefu.care.choices import CareChannel, EntryKind, MessagePurpose, MessageStatus, Occasion
from kefu.care.errors import CareErrorCode
from kefu.care.ledger import account_for, points_expire_due
from kefu.care.models import CareClock, CareMessage, GreetingTemplate, HolidayDate, LoyaltyEntry
from kefu.core.errors import DomainError
from kefu.customers.models import Customer
from kefu.surveys.channels import SurveyMessage, available_channels

logger = logging.getLogger("kefu.care")

CLOCK_NAME = "care_daily"
CLOCK_EVERY = timedelta(hours=1)
EXPIRY_REMIND_DAYS = 30
MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=30)
BATCH = 500
FALLBACK = [CareChannel.SMS.value, CareChannel.WECHAT.value, CareChannel.EMAIL.value]


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(code=CareErrorCode.INVALID_INPUT, message=message, fields={field: [message]}, status=422)


def configured_dates() -> dict[tuple[str, int], date]:
    return {(h.occasion, h.year): h.date for h in HolidayDate.objects.all()}


def _render(template: GreetingTemplate, customer: Customer, occasion_label: str) -> tuple[str, str]:
    values = {"name": customer.name, "occasion": occasion_label}
    try:
        return template.subject.format(**values)[:100], template.body.format(**values)
    except (KeyError, IndexError, ValueError):  # a template with a stray brace still goes out as written
        return template.subject[:100], template.body


def greetings_queue(*, day: date, now: datetime | None = None) -> int:
    """Write `day`'s greetings to the outbox; returns how many are new. Idempotent per day."""
    # The clock has no request language: customers read the center's language.
    with translation.override(settings.LANGUAGE_CODE):
        return _greetings_queue(day, now or timezone.now())


def _greetings_queue(day: date, now: datetime) -> int:
    templates = {t.occasion: t for t in GreetingTemplate.objects.filter(is_active=True)}
    holidays = [o for o in occasions.holidays_on(day, configured_dates()) if o in templates]
    labels = dict(Occasion.choices)
    written = 0
    base = Customer.objects.filter(care_opt_out=False).order_by("pk")
    plans: list[tuple[str, QuerySet[Customer]]] = []
    if Occasion.BIRTHDAY in templates:
        match = Q(pk__in=[])
        for month, dom in occasions.birthday_matches(day):
            match |= Q(birthday__month=month, birthday__day=dom)
        plans.append((Occasion.BIRTHDAY.value, base.filter(match)))
    for occasion in holidays:
        plans.append((occasion, base))
    # Birthdays first: whoever has a birthday on a holiday gets the birthday greeting (the database
    # keeps the first one written for the customer and the date).
    for occasion, qs in plans:
        template = templates[occasion]
        label = str(labels.get(occasion, occasion))
        last = 0
        while True:
            chunk = list(qs.filter(pk__gt=last)[:BATCH])
            if not chunk:
                break
            last = chunk[-1].pk
            rows = []
            for customer in chunk:
                subject, body = _render(template, customer, label)
                rows.append(CareMessage(
                    customer=customer, purpose=MessagePurpose.GREETING, occasion=occasion, on_date=day,
                    channel=template.channel, subject=subject, body=body, send_due_at=now,
                    dedupe_key=f"greeting:{customer.pk}:{day.isoformat()}",
                ))  # fmt: skip
            before = CareMessage.objects.filter(purpose=MessagePurpose.GREETING, on_date=day).count()
            CareMessage.objects.bulk_create(rows, ignore_conflicts=True)
            written += CareMessage.objects.filter(purpose=MessagePurpose.GREETING, on_date=day).count() - before
    return written


def _points_link(customer_id: int) -> str:
    base = getattr(settings, "KEFU_BASE_URL", "").rstrip("/")
    return base + reverse("care:portal_points", kwargs={"token": points_token(account_for(customer_id))})


def expiry_reminders_queue(*, day: date, now: datetime | None = None, days_ahead: int = EXPIRY_REMIND_DAYS) -> int:
    """Remind customers `days_ahead` days before earned points expire: one message per account and
    expiry day (the dedupe key), opted-out customers skipped. Returns how many are new."""
    with translation.override(settings.LANGUAGE_CODE):
        return _expiry_reminders_queue(day, now or timezone.now(), days_ahead)


def _expiry_reminders_queue(day: date, now: datetime, days_ahead: int) -> int:
    rows = (
        LoyaltyEntry.objects.filter(
            kind=EntryKind.EARN, remaining__gt=0, expires_on__gte=day, expires_on__lte=day + timedelta(days=days_ahead),
            account__customer__care_opt_out=False,
        )
        .values("account__customer_id", "account_id", "expires_on")
        .annotate(points=Sum("remaining"))
        .order_by("expires_on", "account_id")
    )
    written = 0
    for row in rows:
        expires_on = row["expires_on"]
        assert expires_on is not None  # filtered on expires_on: never None here
        key = f"points_expiry:{row['account_id']}:{expires_on.isoformat()}"
        if CareMessage.objects.filter(dedupe_key=key).exists():
            continue
        customer = Customer.objects.get(pk=row["account__customer_id"])
        body = _("%(name)s, %(points)s of your points expire on %(day)s. See them and choose a reward: %(link)s") % {
            "name": customer.name, "points": row["points"], "day": expires_on.isoformat(),
            "link": _points_link(customer.pk),
        }
        _message, created = CareMessage.objects.get_or_create(
            dedupe_key=key,
            defaults={
                "customer": customer, "purpose": MessagePurpose.POINTS_EXPIRY, "on_date": day,
                "channel": CareChannel.SMS, "subject": _("Your points expire soon"), "body": body, "send_due_at": now,
            },
        )
        written += int(created)
    return written


def _address(channel: str, customer: Customer) -> str:
    if channel == CareChannel.EMAIL:
        return customer.email or ""
    if channel == CareChannel.WECHAT:
        return customer.wechat_id or ""
    phones = list(customer.phones.all())
    return phones[0].number if phones else ""


def care_message_send(*, message_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock's job: claim the queued message (conditional update), send it on the first channel
    that is available and has an address, starting with its own. A gateway error is retried after
    30 minutes, three times at most. Returns False when another clock claimed it first."""
    now = now or timezone.now()
    claimed = CareMessage.objects.filter(pk=message_id, send_due_at=due_at, status=MessageStatus.QUEUED).update(
        send_due_at=None, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    message = CareMessage.objects.select_related("customer").get(pk=message_id)
    if message.customer.care_opt_out:
        CareMessage.objects.filter(pk=message.pk).update(status=MessageStatus.FAILED, error="opted out")
        return True
    channels = available_channels()
    order = [message.channel, *[c for c in FALLBACK if c != message.channel]]
    for name in order:
        channel = channels.get(name)
        address = _address(name, message.customer) if channel else ""
        if channel is None or not address:
            continue
        try:
            channel.send(address, SurveyMessage(subject=message.subject, text=message.body, link=""))
        except Exception as exc:  # an outside gateway failed: try again later, then give up
            logger.warning("care: message %s on %s failed: %s", message.pk, name, exc)
            retry = message.attempts < MAX_ATTEMPTS
            CareMessage.objects.filter(pk=message.pk).update(
                status=MessageStatus.QUEUED if retry else MessageStatus.FAILED,
                send_due_at=now + RETRY_AFTER if retry else None, error=str(exc)[:200], channel=name, address=address[:254],
            )
            return True
        CareMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENT, sent_at=now, channel=name, address=address[:254], error=""
        )
        return True
    CareMessage.objects.filter(pk=message.pk).update(status=MessageStatus.NO_ADDRESS)
    return True


def care_clock_install(*, due_at: datetime | None = None) -> CareClock:
    clock, _created = CareClock.objects.get_or_create(name=CLOCK_NAME, defaults={"due_at": due_at or timezone.now()})
    return clock


def care_daily(*, day: date, now: datetime | None = None) -> dict[str, int]:
    """The day's care work; every step is idempotent, so the clock runs it hourly."""
    now = now or timezone.now()
    return {
        "expired": points_expire_due(today=day),
        "greetings": greetings_queue(day=day, now=now),
        "reminders": expiry_reminders_queue(day=day, now=now),
    }


def care_tick(*, clock_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """The clock's job: claim the row (conditional update: of several clocks one runs it), then do the day."""
    now = now or timezone.now()
    claimed = CareClock.objects.filter(pk=clock_id, due_at=due_at).update(due_at=now + CLOCK_EVERY, last_run_at=now)
    if not claimed:
        return False
    care_daily(day=timezone.localdate(now), now=now)
    return True


# --- setup ------------------------------------------------------------------------------------------------


def greeting_template_set(*, actor: User, occasion: str, channel: str, subject: str, body: str) -> GreetingTemplate:
    """Make this the occasion's active template (team leads and managers)."""
    require_care_manager(actor)
    if occasion not in Occasion.values:
        raise _invalid("occasion", _("Choose an occasion."))
    if channel not in CareChannel.values:
        raise _invalid("channel", _("Choose a channel."))
    if not subject.strip():
        raise _invalid("subject", _("Give a subject."))
    if not body.strip() or len(body) > 500:
        raise _invalid("body", _("Write the greeting (at most 500 characters)."))
    with transaction.atomic():
        GreetingTemplate.objects.filter(occasion=occasion, is_active=True).update(is_active=False)
        return GreetingTemplate.objects.create(occasion=occasion, channel=channel, subject=subject.strip()[:100], body=body.strip())


def holiday_date_set(*, actor: User, occasion: str, day: date) -> HolidayDate:
    """Configure (or correct) a holiday's date for its year (team leads and managers)."""
    require_care_manager(actor)
    if occasion not in Occasion.values or occasion == Occasion.BIRTHDAY:
        raise _invalid("occasion", _("Choose a holiday."))
    with transaction.atomic():
        found, _created = HolidayDate.objects.update_or_create(occasion=occasion, year=day.year, defaults={"date": day})
    return found
