"""Writes of the channels app: accounts, inbound contacts (intake, retry, discard), deliveries.

Intake of one message is one transaction: the Contact row (unique per account and external id)
and the ticket or ticket message it makes commit together. A message whose processing raises is
kept as a failed Contact with its raw payload and the error (the processing is rolled back to a
savepoint, the row stays), so nothing that arrived is lost and a manager can retry it. A source
marks a message as processed (\\Seen) only after that commit: a crash before it makes the source
hand the message out again, and the unique constraint turns the second intake into a no-op.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.channels import mailparse, transport, vault
from kefu.channels.access import require_manage
from kefu.channels.choices import ChannelKind, ContactStatus, DeliveryStatus
from kefu.channels.errors import ChannelErrorCode, Undeliverable
from kefu.channels.models import ChannelAccount, Contact, Delivery
from kefu.core.errors import DomainError, NotFound
from kefu.customers.services import CustomerIdentity, customer_match_or_create
from kefu.customers.uploads import check_upload
from kefu.tickets.access import portal_token
from kefu.tickets.choices import OPEN_STATUSES, Channel, MessageKind
from kefu.tickets.models import Ticket, TicketMessage
from kefu.tickets.services import TicketInput, Upload, ticket_create, ticket_customer_reply

logger = logging.getLogger("kefu.channels")

MAX_DELIVERY_ATTEMPTS = 8
FETCH_BATCH = 50
# A claimed delivery or fetch is someone's for this long; a process killed mid-way frees it then.
LEASE = timedelta(minutes=5)

# Channels other than email plug in here (kefu/channels/wechat_services.py registers WeChat):
# the sender of a delivery of an account of that kind (raise Undeliverable for what no retry can
# fix) and the reprocessing of a locked contact of that channel (the "could not process" retry).
SENDERS: dict[str, Callable[[Delivery], None]] = {}
REPROCESSORS: dict[str, Callable[[Contact, datetime], None]] = {}

EMAIL_FIELDS = (
    "source", "imap_host", "imap_port", "imap_security", "username", "folder", "maildir_path",
    "smtp_host", "smtp_port", "smtp_security", "smtp_username", "from_address", "from_name",
    "outbox_path", "tls_insecure",
)


# --- accounts --------------------------------------------------------------------------------------


@dataclass
class AccountInput:
    name: str
    kind: str = ChannelKind.EMAIL
    config: dict[str, Any] | None = None
    secret: str | None = None  # None or "": keep the stored one
    team: Team | None = None
    is_active: bool = True
    thread_window_hours: int = 72
    rate_limit_per_hour: int = 20
    poll_seconds: int = 60


def _clean_email_config(config: dict[str, Any]) -> dict[str, Any]:
    out = {k: config[k] for k in EMAIL_FIELDS if k in config and config[k] not in (None, "")}
    errors: dict[str, list[str]] = {}
    source = out.setdefault("source", "imap")
    if source not in ("imap", "maildir"):
        errors["source"] = [_("Choose IMAP or a local maildir.")]
    if source == "imap":
        for key in ("imap_host", "username"):
            if not str(out.get(key, "")).strip():
                errors[key] = [_("Required.")]
        out.setdefault("imap_security", "ssl")
        if out["imap_security"] not in ("ssl", "starttls", "none"):
            errors["imap_security"] = [_("Unknown choice.")]
    elif not str(out.get("maildir_path", "")).strip():
        errors["maildir_path"] = [_("Required.")]
    if out.get("smtp_security", "starttls") not in ("ssl", "starttls", "none"):
        errors["smtp_security"] = [_("Unknown choice.")]
    for key in ("imap_port", "smtp_port"):
        if key in out:
            try:
                port = int(out[key])
            except (TypeError, ValueError):
                port = 0
            if not 0 < port < 65536:
                errors[key] = [_("A port is a number from 1 to 65535.")]
            else:
                out[key] = port
    addr = str(out.get("from_address", "")).strip()
    if not addr or "@" not in addr:
        errors["from_address"] = [_("The address replies are sent from, e.g. kefu@example.com.")]
    if errors:
        raise DomainError(code=ChannelErrorCode.INVALID_CONFIG, message=_("Check the mailbox settings."), fields=errors)
    out["tls_insecure"] = bool(out.get("tls_insecure"))
    return out


def account_save(*, actor: User, data: AccountInput, account_id: int | None = None) -> ChannelAccount:
    """Create or change a channel account. The secret is encrypted; an empty one keeps the stored
    secret (the form never shows it again). An active account is due for its first fetch now."""
    require_manage(actor)
    if not data.name.strip():
        raise DomainError(code=ChannelErrorCode.INVALID_CONFIG, message=_("A name is required."), fields={"name": [_("Required.")]})
    if data.kind != ChannelKind.EMAIL:
        raise DomainError(code=ChannelErrorCode.INVALID_CONFIG, message=_("Only email accounts can be configured so far."))
    config = _clean_email_config(dict(data.config or {}))
    with transaction.atomic():
        if account_id is None:
            account = ChannelAccount(kind=data.kind)
        else:
            account = ChannelAccount.objects.select_for_update().filter(pk=account_id).first()  # type: ignore[assignment]
            if account is None:
                raise NotFound(code=ChannelErrorCode.NOT_FOUND, message=_("No such channel account."))
        account.name = data.name.strip()[:100]
        account.config = config
        account.team = data.team
        account.is_active = data.is_active
        account.thread_window_hours = max(0, data.thread_window_hours)
        account.rate_limit_per_hour = max(1, data.rate_limit_per_hour)
        account.poll_seconds = max(10, data.poll_seconds)
        if data.secret:
            account.secret_encrypted = vault.encrypt(data.secret)
        account.fetch_due_at = timezone.now() if data.is_active else None
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError as exc:
            raise DomainError(
                code=ChannelErrorCode.INVALID_CONFIG, message=_("Another account has this name."),
                fields={"name": [_("Already taken.")]}, status=409,
            ) from exc
    return account


@dataclass(frozen=True)
class ConnectionCheck:
    part: str
    ok: bool
    message: str


def account_test_connection(*, actor: User, account_id: int) -> list[ConnectionCheck]:
    """Log in to the mailbox and the SMTP server with the stored settings; writes nothing."""
    require_manage(actor)
    account = ChannelAccount.objects.filter(pk=account_id).first()
    if account is None:
        raise NotFound(code=ChannelErrorCode.NOT_FOUND, message=_("No such channel account."))
    password = vault.decrypt(account.secret_encrypted)
    checks = []
    try:
        with transport.open_source(account.config, password, timeout=15) as source:
            n = len(source.unseen(10_000))
        checks.append(ConnectionCheck("inbound", True, _("Mailbox reached: %(n)s unread messages.") % {"n": n}))
    except Exception as exc:
        checks.append(ConnectionCheck("inbound", False, _("Mailbox: %(error)s") % {"error": _short(exc)}))
    try:
        transport.check_smtp(account.config, password)
        checks.append(ConnectionCheck("outbound", True, _("Sending server reached.") if account.config.get("smtp_host") else _("No sending server: replies are written to the outbox folder.")))
    except Exception as exc:
        checks.append(ConnectionCheck("outbound", False, _("Sending server: %(error)s") % {"error": _short(exc)}))
    return checks


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:500]


# --- intake ----------------------------------------------------------------------------------------


def _raw_limit() -> int:
    return int(getattr(settings, "KEFU_CHANNELS_RAW_MAX_BYTES", 5 * 1024 * 1024))


def contact_receive(*, account: ChannelAccount, raw: bytes, now: datetime | None = None) -> tuple[Contact, bool]:
    """Take in one raw mail. Returns (contact, created); a message already taken in (same
    Message-ID on this account) returns the first contact and changes nothing."""
    now = now or timezone.now()
    try:
        parsed: mailparse.ParsedMail | None = mailparse.parse(raw)
        parse_error = ""
    except Exception as exc:
        parsed, parse_error = None, _short(exc)
    external_id = parsed.message_id if parsed else "sha256:" + hashlib.sha256(raw).hexdigest()
    external_id = external_id[:255]
    existing = Contact.objects.filter(account=account, external_id=external_id).first()
    if existing is not None:
        return existing, False
    limit = _raw_limit()
    contact = Contact(
        account=account, channel=account.kind, external_id=external_id, raw=raw[:limit], raw_size=len(raw),
        raw_truncated=len(raw) > limit, status=ContactStatus.FAILED, received_at=now,
        sender=parsed.from_addr if parsed else "", sender_name=parsed.from_name if parsed else "",
        subject=parsed.subject if parsed else "",
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                contact.save()
        except IntegrityError:
            # Another fetcher took the same message in first.
            return Contact.objects.get(account=account, external_id=external_id), False
        if parsed is None:
            contact.error = parse_error
            contact.save(update_fields=["error"])
            return contact, True
        _process_saved(contact, parsed, now=now, bypass_rate=False)
    return contact, True


def _process_saved(contact: Contact, parsed: mailparse.ParsedMail, *, now: datetime, bypass_rate: bool) -> None:
    """Process inside a savepoint; on failure keep the contact as failed, with the error."""
    try:
        with transaction.atomic():
            _process(contact, parsed, now=now, bypass_rate=bypass_rate)
    except Exception as exc:
        logger.warning("channels: could not process contact %s: %s", contact.pk, exc, exc_info=not isinstance(exc, DomainError))
        contact.status = ContactStatus.FAILED
        contact.error = _short(exc) if not isinstance(exc, DomainError) else f"{exc.code}: {exc.message}"
        contact.ticket = None
        contact.ticket_message_id = None
        contact.opened_ticket = False
    contact.processed_at = now
    contact.save(update_fields=[
        "status", "reason", "error", "ticket", "ticket_message_id", "opened_ticket", "processed_at",
        "refused_attachments", "attempts",
    ])


class _Ignored(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _own_addresses(account: ChannelAccount) -> set[str]:
    return {str(account.config.get(k, "")).strip().lower() for k in ("from_address", "username")} - {""}


def _process(contact: Contact, parsed: mailparse.ParsedMail, *, now: datetime, bypass_rate: bool) -> None:
    account = contact.account
    contact.error = ""
    contact.reason = ""
    if parsed.noise:
        contact.status, contact.reason = ContactStatus.IGNORED, parsed.noise
        return
    sender = parsed.reply_to or parsed.from_addr
    if not sender or "@" not in sender:
        raise DomainError(code="no_sender", message=_("The mail names no sender address."))
    if sender in _own_addresses(account) or parsed.from_addr in _own_addresses(account):
        contact.status, contact.reason = ContactStatus.IGNORED, "own_address"
        return
    if not bypass_rate:
        recent = Contact.objects.filter(
            account=account, sender=contact.sender, received_at__gte=now - timedelta(hours=1),
            status=ContactStatus.PROCESSED,
        ).exclude(pk=contact.pk).count()
        if recent >= account.rate_limit_per_hour:
            contact.status, contact.reason = ContactStatus.IGNORED, "rate_limited"
            return
    customer, _created = customer_match_or_create(
        actor=None, identity=CustomerIdentity(name=parsed.from_name or sender.split("@")[0], email=sender)
    )
    uploads: list[Upload] = []
    refused: list[dict[str, Any]] = []
    for att in parsed.attachments:
        try:
            checked = check_upload(name=att.name, content=att.content)
        except DomainError as exc:
            refused.append({"name": att.name, "size": len(att.content), "code": exc.code, "message": str(exc.message)})
            continue
        uploads.append(Upload(name=checked.name, content=checked.content))
    contact.refused_attachments = refused
    body = parsed.body.strip()
    if refused:
        notes = "\n".join(
            _("[Attachment not taken: %(name)s — %(reason)s]") % {"name": r["name"], "reason": r["message"]} for r in refused
        )
        body = f"{body}\n\n{notes}" if body else notes
    if not body:
        body = _("(no text)")
    ticket = _thread(account, parsed, customer.pk, sender, now)
    message: TicketMessage | None = None
    if ticket is not None:
        try:
            with transaction.atomic():
                message = ticket_customer_reply(token=portal_token(ticket), body=body, uploads=uploads)
        except DomainError:
            # Closed past the reopen window, or merged away: the mail opens a new ticket.
            ticket, message = None, None
    if ticket is None or message is None:
        title = mailparse.strip_subject(parsed.subject) or body.split("\n", 1)[0][:60] or _("Email without subject")
        ticket = ticket_create(
            actor=None,
            data=TicketInput(
                title=title[:200], description=body, channel=Channel.EMAIL, customer=customer,
                team=account.team, uploads=uploads,
            ),
            by_customer=True,
            at=now,
        )
        contact.opened_ticket = True
        contact.ticket_message_id = None
    else:
        contact.opened_ticket = False
        contact.ticket_message_id = message.pk
    contact.ticket = ticket
    contact.status = ContactStatus.PROCESSED


def _follow_merge(ticket: Ticket) -> Ticket:
    seen = 0
    while ticket.merged_into_id and seen < 5:
        nxt = Ticket.objects.filter(pk=ticket.merged_into_id).first()
        if nxt is None:
            break
        ticket, seen = nxt, seen + 1
    return ticket


def _thread(account: ChannelAccount, parsed: mailparse.ParsedMail, customer_id: int, sender: str, now: datetime) -> Ticket | None:
    """The ticket a mail belongs to: one our reply or an earlier mail of the thread is on (by
    In-Reply-To / References), else the [#number] tag of the subject (only a ticket of the same
    customer), else the customer's open email ticket updated within the account's window."""
    ids = parsed.thread_ids[:50]
    if ids:
        d = Delivery.objects.filter(external_id__in=ids).select_related("ticket").order_by("-created_at").first()
        if d is not None:
            return _follow_merge(d.ticket)
        c = (
            Contact.objects.filter(account=account, external_id__in=ids, ticket__isnull=False)
            .select_related("ticket").order_by("-received_at").first()
        )
        if c is not None and c.ticket is not None:
            return _follow_merge(c.ticket)
    number = mailparse.ticket_tag(parsed.subject)
    if number:
        t = Ticket.objects.filter(number=number, customer_id=customer_id).first()
        if t is not None:
            return _follow_merge(t)
    if account.thread_window_hours:
        return (
            Ticket.objects.filter(
                customer_id=customer_id, channel=Channel.EMAIL, status__in=OPEN_STATUSES,
                updated_at__gte=now - timedelta(hours=account.thread_window_hours), merged_into__isnull=True,
            ).order_by("-updated_at", "-id").first()
        )
    return None


def _locked_contact(actor: User, contact_id: int) -> Contact:
    require_manage(actor)
    contact = Contact.objects.select_for_update().select_related("account").filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(code=ChannelErrorCode.NOT_FOUND, message=_("No such contact."))
    return contact


def contact_retry(*, actor: User, contact_id: int) -> Contact:
    """Process a failed or ignored contact again from its raw payload (the per-sender rate limit
    does not apply: a person decided). A processed or discarded contact refuses."""
    now = timezone.now()
    with transaction.atomic():
        contact = _locked_contact(actor, contact_id)
        if contact.status not in (ContactStatus.FAILED, ContactStatus.IGNORED, ContactStatus.RECEIVED):
            raise DomainError(code=ChannelErrorCode.NOT_RETRYABLE, message=_("Only failed or ignored contacts can be retried."), status=409)
        if contact.raw_truncated:
            raise DomainError(
                code=ChannelErrorCode.RAW_TRUNCATED, status=409,
                message=_("The message was larger than what is kept; fetch it from the mailbox instead."),
            )
        raw = bytes(contact.raw)
        contact.attempts += 1
        reprocess = REPROCESSORS.get(contact.channel)
        if reprocess is not None:
            reprocess(contact, now)
            return contact
        try:
            parsed = mailparse.parse(raw)
        except Exception as exc:
            contact.error = _short(exc)
            contact.save(update_fields=["error", "attempts"])
            return contact
        if contact.status == ContactStatus.IGNORED and parsed.noise:
            parsed.noise = ""  # a person looked at it: treat it as a real mail
        _process_saved(contact, parsed, now=now, bypass_rate=True)
    return contact


def contact_discard(*, actor: User, contact_id: int) -> Contact:
    """Drop a failed or ignored contact from the list (the raw payload stays for the record)."""
    with transaction.atomic():
        contact = _locked_contact(actor, contact_id)
        if contact.status not in (ContactStatus.FAILED, ContactStatus.IGNORED):
            raise DomainError(code=ChannelErrorCode.NOT_DISCARDABLE, message=_("Only failed or ignored contacts can be discarded."), status=409)
        contact.status = ContactStatus.DISCARDED
        contact.processed_at = timezone.now()
        contact.save(update_fields=["status", "processed_at"])
    return contact


@dataclass
class FetchResult:
    fetched: int = 0
    created: int = 0
    duplicates: int = 0


def account_fetch_now(*, account: ChannelAccount, limit: int | None = None) -> FetchResult:
    """Fetch unseen messages in batches; each is taken in (its own commit) and then marked seen."""
    password = vault.decrypt(account.secret_encrypted)
    with transport.open_source(account.config, password) as source:
        return fetch_from_source(account=account, source=source, limit=limit)


def fetch_from_source(*, account: ChannelAccount, source: transport.Source, limit: int | None = None) -> FetchResult:
    """Take in what `source` (an open mailbox) holds unseen, batch by batch; used by the one-shot
    fetch and by the IDLE watcher, which keeps its connection between rounds."""
    result = FetchResult()
    while limit is None or result.fetched < limit:
        keys = source.unseen(FETCH_BATCH if limit is None else min(FETCH_BATCH, limit - result.fetched))
        if not keys:
            break
        raws = source.fetch(keys)
        done = []
        for key in keys:
            raw = raws.get(key)
            if raw is None:
                continue
            _contact, created = contact_receive(account=account, raw=raw)
            result.fetched += 1
            if created:
                result.created += 1
            else:
                result.duplicates += 1
            done.append(key)
        # Only after the commits: a crash before this line hands the batch out again, and
        # the unique (account, external_id) makes the second intake a no-op.
        source.mark_seen(done)
    return result


def account_fetch(*, account_id: int, due_at: datetime, now: datetime) -> bool:
    """Clock handler: claim the account's fetch (conditional UPDATE), fetch, set the next due time."""
    claimed = ChannelAccount.objects.filter(pk=account_id, fetch_due_at=due_at, is_active=True).update(
        fetch_due_at=now + LEASE
    )
    if claimed != 1:
        return False
    account = ChannelAccount.objects.get(pk=account_id)
    error = ""
    try:
        account_fetch_now(account=account)
    except Exception as exc:
        error = _short(exc)
        logger.warning("channels: fetch of %s failed: %s", account.name, error)
    ChannelAccount.objects.filter(pk=account_id).update(
        fetch_due_at=timezone.now() + timedelta(seconds=account.poll_seconds), last_fetch_at=timezone.now(),
        last_error=error,
    )
    return True


# --- outbound --------------------------------------------------------------------------------------


def _domain(addr: str) -> str:
    return addr.rsplit("@", 1)[-1] if "@" in addr else "kefu.localhost"


def delivery_queue(*, message_id: int) -> tuple[Delivery | None, bool]:
    """An agent's public reply on a ticket that came in by mail goes back out by mail: one
    Delivery per message (idempotent, so a retried reaction queues nothing twice), due now.
    A ticket no channel contact belongs to is left to the ticket app's own notice."""
    message = TicketMessage.objects.select_related("ticket__customer").filter(pk=message_id).first()
    if message is None or message.kind != MessageKind.REPLY or message.from_customer:
        return None, False
    ticket = message.ticket
    last = (
        Contact.objects.filter(ticket=ticket, channel=ChannelKind.EMAIL, status=ContactStatus.PROCESSED)
        .select_related("account").order_by("-received_at", "-id").first()
    )
    if last is None:
        return None, False
    recipient = (ticket.customer.email if ticket.customer and ticket.customer.email else "") or last.sender
    if not recipient:
        return None, False
    account = last.account
    thread = list(
        Contact.objects.filter(ticket=ticket, channel=ChannelKind.EMAIL).order_by("received_at").values_list("external_id", flat=True)[:10]
    ) + list(Delivery.objects.filter(ticket=ticket).order_by("created_at").values_list("external_id", flat=True)[:10])
    subject = mailparse.strip_subject(last.subject) or ticket.title
    now = timezone.now()
    external_id = f"kefu.{ticket.number}.{message.pk}.{secrets.token_hex(6)}@{_domain(str(account.config.get('from_address', '')))}"
    with transaction.atomic():
        delivery, created = Delivery.objects.get_or_create(
            message=message,
            defaults={
                "account": account, "ticket": ticket, "recipient": recipient[:254],
                "subject": f"Re: {subject} [#{ticket.number}]"[:255], "external_id": external_id,
                "in_reply_to": last.external_id if not last.external_id.startswith("sha256:") else "",
                "references": " ".join(i for i in thread if not i.startswith("sha256:")),
                "status": DeliveryStatus.PENDING, "next_attempt_at": now, "created_at": now,
            },
        )
    return delivery, created


def build_mail(delivery: Delivery, body: str) -> EmailMessage:
    cfg = delivery.account.config
    msg = EmailMessage()
    msg["From"] = formataddr((str(cfg.get("from_name") or delivery.account.name), str(cfg.get("from_address"))))
    msg["To"] = delivery.recipient
    msg["Subject"] = delivery.subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = f"<{delivery.external_id}>"
    if delivery.in_reply_to:
        msg["In-Reply-To"] = f"<{delivery.in_reply_to}>"
    if delivery.references:
        msg["References"] = " ".join(f"<{r}>" for r in delivery.references.split())
    # Our replies are answers written by a person, but an auto-responder on the other side must not
    # answer them with another mail that opens a loop.
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(body, charset="utf-8")
    return msg


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def delivery_send(*, delivery_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """Claim a due delivery (conditional UPDATE) and send it. A failure counts an attempt and is
    due again with backoff (1, 2, 4 … 60 min); after MAX_DELIVERY_ATTEMPTS it stays "not delivered"."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, next_attempt_at=due_at, status=DeliveryStatus.PENDING).update(
        next_attempt_at=now + LEASE
    )
    if claimed != 1:
        return False
    delivery = Delivery.objects.select_related("account", "message").get(pk=delivery_id)
    try:
        sender = SENDERS.get(delivery.account.kind)
        if sender is not None:
            sender(delivery)
        else:
            transport.send(delivery.account.config, vault.decrypt(delivery.account.secret_encrypted), build_mail(delivery, delivery.message.body))
    except Exception as exc:
        attempts = delivery.attempts + 1
        gave_up = attempts >= MAX_DELIVERY_ATTEMPTS or isinstance(exc, Undeliverable)
        Delivery.objects.filter(pk=delivery_id).update(
            attempts=attempts, last_error=str(exc)[:500] if isinstance(exc, Undeliverable) else _short(exc),
            status=DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING,
            next_attempt_at=None if gave_up else timezone.now() + _backoff(attempts),
        )
        logger.warning("channels: delivery %s failed (attempt %s): %s", delivery_id, attempts, exc)
        return True
    Delivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.SENT, attempts=delivery.attempts + 1, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    return True


def delivery_retry(*, actor: User, delivery_id: int) -> Delivery:
    """Send a delivery that gave up once more, now."""
    require_manage(actor)
    now = timezone.now()
    updated = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.FAILED).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, attempts=0
    )
    if updated != 1:
        raise DomainError(code=ChannelErrorCode.NOT_RETRYABLE, message=_("Only undelivered replies can be sent again."), status=409)
    return Delivery.objects.get(pk=delivery_id)
