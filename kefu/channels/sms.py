"""The SMS channel: a gateway interface with one provider adapter (Aliyun SMS, 阿里云短信服务),
outbound messages with retries and delivery receipts, inbound SMS threaded to tickets, opt-out.

Aliyun's SendSms is an RPC-style HTTP API signed with signature version 1.0 (HMAC-SHA1): every
parameter (AccessKeyId, Action, Format, PhoneNumbers, SignName, SignatureMethod, SignatureNonce,
SignatureVersion, TemplateCode, TemplateParam, Timestamp, Version …) is percent-encoded (RFC 3986),
sorted by name and joined as a query string; the string to sign is
`POST&%2F&<percent-encoded query>`, and `Signature` = Base64(HMAC-SHA1(AccessKeySecret + "&", it)).
Aliyun sends only approved templates, so a ticket reply goes out through a template with one
`${content}` variable. Receipts (SmsReport) and replies (SmsUp) arrive as JSON arrays at our signed
webhooks (kefu.channels.signing). An outbound SMS is queued in the transaction of what causes it and
sent after commit by a task; the clock retries (1, 2, 4 … 60 min, 6 attempts).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.channels import vault
from kefu.channels.access import require_manage
from kefu.channels.choices import ChannelKind, ContactStatus
from kefu.channels.errors import ChannelErrorCode
from kefu.channels.models import ChannelAccount, Contact, SmsMessage, SmsOptOut
from kefu.channels.models_cti import SmsDirection, SmsPurpose, SmsStatus
from kefu.core.errors import DomainError, NotFound
from kefu.customers.services import CustomerIdentity, customer_match_or_create, normalize_phone
from kefu.tickets.access import portal_token
from kefu.tickets.choices import OPEN_STATUSES, Channel, MessageKind
from kefu.tickets.models import Ticket, TicketMessage
from kefu.tickets.services import TicketInput, ticket_create, ticket_customer_reply

logger = logging.getLogger("kefu.channels.sms")

ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
ALIYUN_VERSION = "2017-05-25"
MAX_SMS_ATTEMPTS = 6
LEASE = timedelta(minutes=5)
REPLY_MAX_CHARS = 300
# Replies that opt out (退订 / TD / T / N as the carriers' rules expect), upper-cased and stripped.
OPT_OUT_WORDS = frozenset({"退订", "TD", "T", "N", "取消", "UNSUBSCRIBE", "STOP"})
TEMPLATE_KEYS = {
    SmsPurpose.REPLY: "template_reply", SmsPurpose.SURVEY: "template_survey",
    SmsPurpose.CALLBACK: "template_callback", SmsPurpose.CODE: "template_code",
}


# --- the gateway -----------------------------------------------------------------------------------


class GatewayError(Exception):
    """The gateway refused or could not be reached; `code` is its code (e.g. isv.BUSINESS_LIMIT_CONTROL)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class SmsGateway(Protocol):
    def send(self, *, phone: str, template_code: str, params: dict[str, str], out_id: str) -> str: ...
    def check(self) -> str: ...


def percent_encode(value: str) -> str:
    """RFC 3986 as Aliyun's signature v1 wants it: space %20, * %2A, ~ kept."""
    return urllib.parse.quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    """Aliyun SMS (dysmsapi, version 2017-05-25) over its signed RPC HTTP API."""

    def __init__(self, config: dict[str, Any], access_key_secret: str, *, timeout: float = 10) -> None:
        self.endpoint = str(config.get("endpoint") or ALIYUN_ENDPOINT)
        self.key_id = str(config.get("access_key_id", ""))
        self.sign_name = str(config.get("sign_name", ""))
        self.region = str(config.get("region") or "cn-hangzhou")
        self.secret = access_key_secret
        self.timeout = timeout

    def _call(self, action: str, extra: dict[str, str]) -> dict[str, Any]:
        params = {
            "AccessKeyId": self.key_id, "Action": action, "Format": "JSON", "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": secrets.token_hex(16), "SignatureVersion": "1.0",
            "Timestamp": timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": ALIYUN_VERSION, **extra,
        }
        params["Signature"] = aliyun_signature(params, self.secret)
        data = urllib.parse.urlencode(params, quote_via=urllib.parse.quote).encode()
        req = urllib.request.Request(self.endpoint, data=data, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 (configured https endpoint)
                body = resp.read()
        except urllib.error.HTTPError as exc:
            body = exc.read()
        except (urllib.error.URLError, OSError) as exc:
            raise GatewayError("unreachable", str(exc)[:300]) from exc
        try:
            answer = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise GatewayError("bad_answer", body[:200].decode("utf-8", "replace")) from exc
        if answer.get("Code") != "OK":
            raise GatewayError(str(answer.get("Code", "unknown")), str(answer.get("Message", "")))
        return dict(answer)

    def send(self, *, phone: str, template_code: str, params: dict[str, str], out_id: str) -> str:
        answer = self._call("SendSms", {
            "PhoneNumbers": phone, "SignName": self.sign_name, "TemplateCode": template_code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")), "OutId": out_id,
        })
        return str(answer.get("BizId", ""))

    def check(self) -> str:
        answer = self._call("QuerySmsSign", {"SignName": self.sign_name})
        return str(answer.get("SignStatus", answer.get("Message", "OK")))


def gateway_for(account: ChannelAccount) -> SmsGateway:
    return AliyunSms(account.config, sms_secrets(account).get("access_key_secret", ""))


def sms_secrets(account: ChannelAccount) -> dict[str, str]:
    plain = vault.decrypt(account.secret_encrypted) if account.secret_encrypted else ""
    try:
        data = json.loads(plain) if plain else {}
    except ValueError:
        data = {}
    return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}


# --- accounts --------------------------------------------------------------------------------------


SMS_FIELDS = ("endpoint", "access_key_id", "sign_name", "region", "template_reply", "template_survey",
              "template_callback", "template_code")


@dataclass
class SmsAccountInput:
    name: str
    config: dict[str, Any]
    access_key_secret: str | None = None  # None or "": keep
    webhook_secret: str | None = None
    team: Team | None = None
    is_active: bool = True
    thread_window_hours: int = 72


def sms_account_save(*, actor: User, data: SmsAccountInput, account_id: int | None = None) -> ChannelAccount:
    require_manage(actor)
    config = {k: str(data.config[k]).strip() for k in SMS_FIELDS if str(data.config.get(k) or "").strip()}
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors["name"] = [_("Required.")]
    for key in ("access_key_id", "sign_name", "template_reply"):
        if not config.get(key):
            errors[key] = [_("Required.")]
    if config.get("endpoint") and not config["endpoint"].startswith(("https://", "http://")):
        errors["endpoint"] = [_("An http(s) address.")]
    if data.webhook_secret and len(data.webhook_secret) < 16:
        errors["webhook_secret"] = [_("At least 16 characters.")]
    with transaction.atomic():
        if account_id is None:
            account = ChannelAccount(kind=ChannelKind.SMS)
        else:
            found = ChannelAccount.objects.select_for_update().filter(pk=account_id, kind=ChannelKind.SMS).first()
            if found is None:
                raise NotFound(code=ChannelErrorCode.NOT_FOUND, message=_("No such channel account."))
            account = found
        stored = sms_secrets(account)
        if data.access_key_secret:
            stored["access_key_secret"] = data.access_key_secret
        if data.webhook_secret:
            stored["webhook_secret"] = data.webhook_secret
        for key in ("access_key_secret", "webhook_secret"):
            if not stored.get(key):
                errors.setdefault(key, [_("Required.")])
        if errors:
            raise DomainError(code=ChannelErrorCode.INVALID_CONFIG, message=_("Check the SMS settings."), fields=errors)
        account.name = data.name.strip()[:100]
        account.config = config
        account.team = data.team
        account.is_active = data.is_active
        account.thread_window_hours = max(0, data.thread_window_hours)
        account.secret_encrypted = vault.encrypt(json.dumps(stored))
        account.fetch_due_at = None
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError as exc:
            raise DomainError(code=ChannelErrorCode.INVALID_CONFIG, message=_("Another account has this name."),
                              fields={"name": [_("Already taken.")]}, status=409) from exc
    return account


def sms_account_test(*, actor: User, account_id: int) -> tuple[bool, str]:
    """Ask the gateway about the account's signature name with the stored key; writes nothing."""
    require_manage(actor)
    account = ChannelAccount.objects.filter(pk=account_id, kind=ChannelKind.SMS).first()
    if account is None:
        raise NotFound(code=ChannelErrorCode.NOT_FOUND, message=_("No such channel account."))
    try:
        status = gateway_for(account).check()
    except GatewayError as exc:
        return False, _("The gateway refused: %(error)s") % {"error": str(exc)[:300]}
    return True, _("Gateway reached; signature %(sign)s: %(status)s") % {"sign": account.config.get("sign_name", ""), "status": status}


# --- outbound --------------------------------------------------------------------------------------


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except DomainError:
        return ""


def is_opted_out(phone: str) -> bool:
    return SmsOptOut.objects.filter(phone=phone).exists()


def sms_queue(
    *, account: ChannelAccount, phone: str, purpose: str, params: dict[str, str], body: str,
    ticket: Ticket | None = None, message: TicketMessage | None = None, now: datetime | None = None,
) -> SmsMessage:
    """Queue one SMS (call in the transaction of its cause; send it after commit with
    sms_send_task or leave it to the clock). A number that opted out gets nothing but codes."""
    now = now or timezone.now()
    number = _phone(phone)
    template = str(account.config.get(TEMPLATE_KEYS.get(SmsPurpose(purpose), "template_reply")) or "")
    blocked = ""
    if not number:
        blocked = "invalid_phone"
    elif purpose != SmsPurpose.CODE and is_opted_out(number):
        blocked = "opted_out"
    elif not template:
        blocked = "no_template"
    return SmsMessage.objects.create(
        account=account, direction=SmsDirection.OUTBOUND, purpose=purpose, phone=number or phone[:32], body=body,
        template_code=template, template_params=params, ticket=ticket, message=message, created_at=now,
        status=SmsStatus.FAILED if blocked else SmsStatus.PENDING, last_error=blocked,
        next_attempt_at=None if blocked else now,
    )


def _reply_target(ticket: Ticket) -> tuple[ChannelAccount | None, str]:
    last_in = (
        SmsMessage.objects.filter(ticket=ticket, direction=SmsDirection.INBOUND).select_related("account")
        .order_by("-created_at", "-id").first()
    )
    account = last_in.account if last_in else ChannelAccount.objects.filter(kind=ChannelKind.SMS, is_active=True).order_by("pk").first()
    phone = (last_in.phone if last_in else "") or ticket.contact_phone
    if not phone and ticket.customer_id:
        primary = ticket.customer.phones.order_by("-is_primary", "id").first() if ticket.customer else None
        phone = primary.number if primary else ""
    return account, phone


def sms_reply_queue(*, message_id: int) -> SmsMessage | None:
    """An agent's public reply on an SMS ticket goes back by SMS (one per message: a retried
    reaction queues nothing twice)."""
    message = TicketMessage.objects.select_related("ticket__customer").filter(pk=message_id).first()
    if message is None or message.kind != MessageKind.REPLY or message.from_customer:
        return None
    existing = SmsMessage.objects.filter(message=message).first()
    if existing is not None:
        return None
    account, phone = _reply_target(message.ticket)
    if account is None or not phone:
        return None
    text = " ".join(message.body.split())
    if len(text) > REPLY_MAX_CHARS:
        text = text[: REPLY_MAX_CHARS - 1] + "…"
    try:
        with transaction.atomic():
            return sms_queue(account=account, phone=phone, purpose=SmsPurpose.REPLY, params={"content": text},
                             body=text, ticket=message.ticket, message=message)
    except IntegrityError:
        return None


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def sms_send(*, sms_id: int, due_at: datetime, now: datetime | None = None) -> bool:
    """Claim a due SMS (conditional UPDATE) and hand it to the gateway; a failure is due again
    with backoff, and after MAX_SMS_ATTEMPTS it stays "not delivered"."""
    now = now or timezone.now()
    claimed = SmsMessage.objects.filter(pk=sms_id, next_attempt_at=due_at, status=SmsStatus.PENDING).update(
        next_attempt_at=now + LEASE
    )
    if claimed != 1:
        return False
    sms = SmsMessage.objects.select_related("account").get(pk=sms_id)
    try:
        biz_id = gateway_for(sms.account).send(
            phone=sms.phone, template_code=sms.template_code, params=sms.template_params, out_id=f"kefu-{sms.pk}"
        )
    except GatewayError as exc:
        attempts = sms.attempts + 1
        gave_up = attempts >= MAX_SMS_ATTEMPTS or exc.code.startswith("isv.") and exc.code != "isv.BUSINESS_LIMIT_CONTROL"
        SmsMessage.objects.filter(pk=sms_id).update(
            attempts=attempts, last_error=str(exc)[:1000], status=SmsStatus.FAILED if gave_up else SmsStatus.PENDING,
            next_attempt_at=None if gave_up else timezone.now() + _backoff(attempts),
        )
        logger.warning("sms %s failed (attempt %s): %s", sms_id, attempts, exc)
        return True
    SmsMessage.objects.filter(pk=sms_id).update(
        status=SmsStatus.SENT, external_id=biz_id[:128], attempts=sms.attempts + 1, sent_at=timezone.now(),
        next_attempt_at=None, last_error="",
    )
    return True


def sms_retry(*, actor: User, sms_id: int) -> SmsMessage:
    require_manage(actor)
    updated = SmsMessage.objects.filter(pk=sms_id, status=SmsStatus.FAILED, direction=SmsDirection.OUTBOUND).exclude(
        last_error__in=("opted_out", "invalid_phone", "no_template")
    ).update(status=SmsStatus.PENDING, next_attempt_at=timezone.now(), attempts=0)
    if updated != 1:
        raise DomainError(code=ChannelErrorCode.NOT_RETRYABLE, message=_("Only undelivered SMS can be sent again."), status=409)
    return SmsMessage.objects.get(pk=sms_id)


# --- receipts and inbound --------------------------------------------------------------------------


def _items(payload: Any) -> list[dict[str, Any]]:
    items = payload if isinstance(payload, list) else [payload]
    if not items or not all(isinstance(i, dict) for i in items) or len(items) > 1000:
        raise DomainError(code="sms_push_invalid", message=_("A push is a JSON array of objects (at most 1000)."), status=422)
    return items


def _when(value: Any, default: datetime) -> datetime:
    parsed = parse_datetime(str(value)) if isinstance(value, str) and value else None
    if parsed is None:
        return default
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def sms_reports_receive(*, account: ChannelAccount, payload: Any, now: datetime | None = None) -> tuple[int, int]:
    """Apply delivery receipts (matched by BizId on this account). Returns (applied, duplicates):
    a receipt for an SMS already delivered or failed by receipt counts as a duplicate."""
    now = now or timezone.now()
    applied = dup = 0
    for item in _items(payload):
        biz_id = str(item.get("biz_id") or "")[:128]
        if not biz_id:
            continue
        ok = item.get("success") in (True, "true", 1, "1")
        at = _when(item.get("report_time"), now)
        code = str(item.get("err_code") or ("DELIVERED" if ok else "UNKNOWN"))[:64]
        n = SmsMessage.objects.filter(
            account=account, external_id=biz_id, direction=SmsDirection.OUTBOUND, status=SmsStatus.SENT
        ).update(status=SmsStatus.DELIVERED if ok else SmsStatus.FAILED, delivered_at=at if ok else None,
                 receipt_code=code, last_error="" if ok else f"{code}: {item.get('err_msg', '')}"[:1000])
        if n:
            applied += 1
        else:
            dup += 1
    return applied, dup


def sms_inbound_receive(*, account: ChannelAccount, raw: bytes, now: datetime | None = None) -> tuple[int, int]:
    """Take in customers' SMS: one Contact each (idempotent on the gateway's sequence id), an
    opt-out word records the opt-out, anything else threads to the customer's open SMS ticket or
    opens one. A message that cannot be processed stays in the failure list."""
    now = now or timezone.now()
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DomainError(code="invalid_json", message=_("The body is not JSON."), status=422) from None
    taken = dup = 0
    limit = int(getattr(settings, "KEFU_CHANNELS_RAW_MAX_BYTES", 5 * 1024 * 1024))
    for item in _items(payload):
        one = json.dumps(item, ensure_ascii=False).encode()
        seq = str(item.get("sequence_id") or "")
        external_id = ("sms:" + seq) if seq else "sha256:" + hashlib.sha256(one).hexdigest()
        phone_raw = str(item.get("phone_number") or "")
        content = str(item.get("content") or "").strip()
        received = _when(item.get("send_time"), now)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    contact = Contact.objects.create(
                        account=account, channel=ChannelKind.SMS, external_id=external_id[:255], sender=phone_raw[:254],
                        subject=content[:60], raw=one[:limit], raw_size=len(one), raw_truncated=len(one) > limit,
                        status=ContactStatus.FAILED, received_at=received,
                    )
            except IntegrityError:
                dup += 1
                continue
            taken += 1
            try:
                with transaction.atomic():
                    _process_inbound(account, contact, phone_raw, content, now)
            except Exception as exc:
                contact.status = ContactStatus.FAILED
                contact.error = f"{exc.code}: {exc.message}" if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"[:500]
                contact.ticket = None
            contact.processed_at = now
            contact.save(update_fields=["status", "reason", "error", "ticket", "opened_ticket", "ticket_message_id", "processed_at"])
    return taken, dup


def _process_inbound(account: ChannelAccount, contact: Contact, phone_raw: str, content: str, now: datetime) -> None:
    phone = normalize_phone(phone_raw)
    if not content:
        raise DomainError(code="sms_empty", message=_("The SMS has no text."))
    word = content.strip().strip("。.!！ ").upper()
    if word in OPT_OUT_WORDS:
        SmsOptOut.objects.get_or_create(phone=phone, defaults={"keyword": word[:16], "created_at": now})
        contact.status, contact.reason = ContactStatus.IGNORED, "opt_out"
        SmsMessage.objects.create(account=account, direction=SmsDirection.INBOUND, purpose=SmsPurpose.INBOUND, phone=phone,
                                  body=content, status=SmsStatus.RECEIVED, external_id=contact.external_id[:128], created_at=now)
        return
    customer, _created = customer_match_or_create(
        actor=None, identity=CustomerIdentity(name=_("SMS %(tail)s") % {"tail": phone[-4:]}, phone=phone)
    )
    ticket = (
        Ticket.objects.filter(customer=customer, channel=Channel.SMS, status__in=OPEN_STATUSES,
                              updated_at__gte=now - timedelta(hours=account.thread_window_hours), merged_into__isnull=True)
        .order_by("-updated_at").first()
    )
    message = None
    if ticket is not None:
        try:
            with transaction.atomic():
                message = ticket_customer_reply(token=portal_token(ticket), body=content)
        except DomainError:
            ticket = None
    if ticket is None or message is None:
        first = content.split("\n", 1)[0]
        ticket = ticket_create(
            actor=None, by_customer=True, at=now,
            data=TicketInput(title=(first[:40] or _("SMS")), description=content, channel=Channel.SMS,
                             customer=customer, contact_phone=phone, team=account.team),
        )
        contact.opened_ticket, contact.ticket_message_id = True, None
    else:
        contact.opened_ticket, contact.ticket_message_id = False, message.pk
    contact.ticket = ticket
    contact.status, contact.reason, contact.error = ContactStatus.PROCESSED, "", ""
    SmsMessage.objects.create(account=account, direction=SmsDirection.INBOUND, purpose=SmsPurpose.INBOUND, phone=phone,
                              body=content, status=SmsStatus.RECEIVED, external_id=contact.external_id[:128],
                              ticket=ticket, created_at=now)
