"""Writes of the WeChat channel (公众号 and 企业微信 微信客服) over the common accounts, contacts and
deliveries of kefu/channels/services.py.

Inbound, in two steps so WeChat gets its answer within 5 s (it retries 3 times otherwise):
1. `callback_receive` (the callback view): verify, decrypt, parse, write one RECEIVED Contact keyed
   by MsgId (events: FromUserName + CreateTime), answer "success". A retry of the same message
   meets the unique (account, external_id) and changes nothing. WeCom's callback only announces
   messages: `wecom_sync` pulls them with kf/sync_msg from the stored cursor, a Contact each.
2. `contact_process` (a task): the WeChat identity (openid → customer), phone claims, media kept as
   files, threading to the customer's open WeChat ticket, else `ticket_create`. A failure keeps
   the contact as failed with the error, in the manager's list, retryable.

Outbound: an agent's public reply on a WeChat ticket becomes a Delivery (reaction
`channels.wechat_reply`), sent by `deliver` through the customer-service message API. Outside the
48-hour window (counted from the customer's last message) or when WeChat answers that the customer
cannot be reached, it is marked not delivered at once with the reason (no retries: only the
customer writing again opens the window); network and server errors are retried with backoff.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import Team, User
from kefu.channels import services, vault, wechat, wechat_api
from kefu.channels.access import require_manage
from kefu.channels.choices import ChannelKind, ContactStatus, DeliveryStatus
from kefu.channels.errors import ChannelErrorCode, Undeliverable
from kefu.channels.models import ChannelAccount, Contact, Delivery
from kefu.channels.wechat_models import ClaimStatus, WechatIdentity, WechatState
from kefu.core.errors import DomainError, Forbidden, NotFound
from kefu.customers.services import (
    CustomerIdentity,
    customer_add_phone,
    customer_find,
    customer_match_or_create,
    normalize_phone,
)
from kefu.customers.uploads import check_upload
from kefu.tickets.access import portal_token
from kefu.tickets.choices import OPEN_STATUSES, Channel, MessageKind
from kefu.tickets.models import Ticket, TicketMessage
from kefu.tickets.services import TicketInput, Upload, ticket_create, ticket_customer_reply

logger = logging.getLogger("kefu.channels.wechat")

WINDOW = timedelta(hours=48)
PHONE_RE = re.compile(r"^\s*(?:\+?86[\s-]?)?(1[3-9]\d[\s-]?\d{4}[\s-]?\d{4})\s*$")
MEDIA_SUFFIX = {"image": ".jpg", "voice": ".amr", "video": ".mp4"}
PLATFORMS = ("oa", "wecom")


# --- accounts --------------------------------------------------------------------------------------


@dataclass
class WechatAccountInput:
    name: str
    platform: str = "oa"
    app_id: str = ""  # OA AppID, or WeCom corpid
    open_kfid: str = ""  # WeCom 客服账号 ID
    api_base: str = ""
    app_secret: str | None = None  # None or "": keep the stored one
    token: str | None = None
    aes_key: str | None = None
    team: Team | None = None
    is_active: bool = True
    thread_window_hours: int = 72


account_secrets = wechat_api.account_secrets


def account_save(*, actor: User, data: WechatAccountInput, account_id: int | None = None) -> ChannelAccount:
    """Create or change a WeChat account. Secrets (AppSecret, callback Token, EncodingAESKey) are
    encrypted together; an empty field keeps the stored value and none is ever shown again."""
    require_manage(actor)
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors["name"] = [_("Required.")]
    if data.platform not in PLATFORMS:
        errors["platform"] = [_("Unknown choice.")]
    if not re.fullmatch(r"[A-Za-z0-9_\-]{4,64}", data.app_id.strip()):
        errors["app_id"] = [_("The AppID (WeCom: corp ID) from the WeChat admin console.")]
    if data.platform == "wecom" and not data.open_kfid.strip():
        errors["open_kfid"] = [_("Required for WeCom customer service.")]
    if data.aes_key and len(data.aes_key.strip()) != 43:
        errors["aes_key"] = [_("The EncodingAESKey has 43 characters.")]
    base = data.api_base.strip()
    if base and not re.fullmatch(r"https?://[^\s/]+(:\d+)?/?", base):
        errors["api_base"] = [_("A base URL such as https://api.weixin.qq.com.")]
    if errors:
        raise DomainError(code=ChannelErrorCode.INVALID_CONFIG, message=_("Check the WeChat settings."), fields=errors)
    with transaction.atomic():
        if account_id is None:
            account = ChannelAccount(kind=ChannelKind.WECHAT)
            stored = {"app_secret": "", "token": "", "aes_key": ""}
        else:
            found = ChannelAccount.objects.select_for_update().filter(pk=account_id, kind=ChannelKind.WECHAT).first()
            if found is None:
                raise NotFound(code=ChannelErrorCode.NOT_FOUND, message=_("No such channel account."))
            account = found
            stored = account_secrets(account)
        for key in ("app_secret", "token", "aes_key"):
            value = getattr(data, key)
            if value:
                stored[key] = value.strip()
        if not stored["token"]:
            raise DomainError(code=ChannelErrorCode.INVALID_CONFIG, message=_("Check the WeChat settings."),
                              fields={"token": [_("Required.")]})
        if data.platform == "wecom" and not stored["aes_key"]:
            raise DomainError(code=ChannelErrorCode.INVALID_CONFIG, message=_("Check the WeChat settings."),
                              fields={"aes_key": [_("WeCom callbacks are always encrypted: the EncodingAESKey is required.")]})
        account.name = data.name.strip()[:100]
        account.config = {
            "platform": data.platform, "app_id": data.app_id.strip(), "corp_id": data.app_id.strip(),
            "open_kfid": data.open_kfid.strip(), "api_base": base.rstrip("/"),
        }
        account.secret_encrypted = vault.encrypt(json.dumps(stored))
        account.team = data.team
        account.is_active = data.is_active
        account.thread_window_hours = max(0, data.thread_window_hours)
        account.fetch_due_at = None  # WeChat pushes; nothing to fetch by the clock
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError as exc:
            raise DomainError(
                code=ChannelErrorCode.INVALID_CONFIG, message=_("Another account has this name."),
                fields={"name": [_("Already taken.")]}, status=409,
            ) from exc
    return account


def test_connection(*, actor: User, account_id: int) -> list[services.ConnectionCheck]:
    """Fetch a fresh access_token with the stored AppID and secret (the only check WeChat offers
    without a customer); says when it expires."""
    require_manage(actor)
    account = ChannelAccount.objects.filter(pk=account_id, kind=ChannelKind.WECHAT).first()
    if account is None:
        raise NotFound(code=ChannelErrorCode.NOT_FOUND, message=_("No such channel account."))
    checks = []
    try:
        state = WechatState.objects.filter(account=account).first()
        stale = vault.decrypt(state.token_encrypted) if state else ""
        wechat_api.access_token(account, stale=stale)
        state = WechatState.objects.get(account=account)
        checks.append(services.ConnectionCheck(
            "token", True, _("access_token obtained; valid until %(at)s.") % {"at": timezone.localtime(state.token_expires_at).strftime("%Y-%m-%d %H:%M")}
        ))
    except Exception as exc:
        checks.append(services.ConnectionCheck("token", False, _("access_token: %(error)s") % {"error": services._short(exc)}))
    sec = account_secrets(account)
    if sec["token"] and (sec["aes_key"] or not wechat_api.is_wecom(account)):
        checks.append(services.ConnectionCheck("callback", True, _("Callback settings stored (Token%(aes)s).") % {
            "aes": _(" and EncodingAESKey") if sec["aes_key"] else ""}))
    else:
        checks.append(services.ConnectionCheck("callback", False, _("The callback Token or EncodingAESKey is missing.")))
    return checks


# --- inbound, step 1: the callback -----------------------------------------------------------------


@dataclass
class Received:
    contact: Contact | None
    created: bool
    sync: tuple[str, str] | None = None  # WeCom: (sync token, open_kfid) to pull with


def callback_receive(*, account: ChannelAccount, body: bytes, query: dict[str, str], now: float | None = None) -> Received:
    """Verify and store one callback (raises WechatProtocolError on a forged, stale or broken one).
    A new message is RECEIVED and its processing is queued after commit; a retry is a no-op."""
    sec = account_secrets(account)
    receive_id = str(account.config.get("corp_id" if wechat_api.is_wecom(account) else "app_id", ""))
    cb = wechat.open_callback(
        body=body, query=query, token=sec["token"], encoding_aes_key=sec["aes_key"], receive_id=receive_id,
        now=time.time() if now is None else now, always_encrypted=wechat_api.is_wecom(account),
    )
    msg = cb.message
    if msg.event == "kf_msg_or_event":
        return Received(None, False, sync=(msg.sync_token, msg.open_kfid or str(account.config.get("open_kfid", ""))))
    return _store(account, external_id=msg.dedupe_key, sender=msg.from_user, raw=cb.plain, subject=_subject(msg))


def _subject(msg: wechat.InboundMessage) -> str:
    return (msg.event and f"event:{msg.event}") or msg.msg_type


def _store(account: ChannelAccount, *, external_id: str, sender: str, raw: bytes, subject: str) -> Received:
    limit = services._raw_limit()
    contact = Contact(
        account=account, channel=ChannelKind.WECHAT, external_id=external_id[:255], sender=sender[:254],
        subject=subject[:255], raw=raw[:limit], raw_size=len(raw), raw_truncated=len(raw) > limit,
        status=ContactStatus.RECEIVED, received_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:
        return Received(Contact.objects.filter(account=account, external_id=contact.external_id).first(), False)
    return Received(contact, True)


def wecom_sync(*, account_id: int, sync_token: str = "", open_kfid: str = "") -> list[int]:
    """Pull WeCom 微信客服 messages from the stored cursor until has_more is 0; a Contact per
    customer message or event (by msgid, so a second pull adds nothing). Returns the new contact ids.
    One pull per account at a time (the state row is locked)."""
    account = ChannelAccount.objects.get(pk=account_id)
    kfid = open_kfid or str(account.config.get("open_kfid", ""))
    created: list[int] = []
    with transaction.atomic():
        state, _c = WechatState.objects.select_for_update().get_or_create(account=account)
        cursor = state.sync_cursor
        for _page in range(50):
            data = wechat_api.sync_msg(account, cursor=cursor, sync_token=sync_token, open_kfid=kfid)
            for item in data.get("msg_list") or []:
                if not isinstance(item, dict) or not item.get("msgid"):
                    continue
                if item.get("origin") not in (3, 4):  # 3 customer, 4 system event; 5 is our own servicer
                    continue
                sender = str(item.get("external_userid") or (item.get("event") or {}).get("external_userid") or "")
                raw = json.dumps(item, ensure_ascii=False).encode()
                r = _store(account, external_id=f"kf:{item['msgid']}", sender=sender, raw=raw,
                           subject=str(item.get("msgtype", "")))
                if r.created and r.contact is not None:
                    created.append(r.contact.pk)
            cursor = str(data.get("next_cursor") or cursor)
            if not data.get("has_more"):
                break
        state.sync_cursor = cursor[:255]
        state.save(update_fields=["sync_cursor"])
    return created


def _kf_message(item: dict[str, Any]) -> wechat.InboundMessage:
    """A kf/sync_msg item as the same InboundMessage a 公众号 callback gives."""
    t = str(item.get("msgtype", ""))
    part = item.get(t) if isinstance(item.get(t), dict) else {}
    assert isinstance(part, dict)
    event = part.get("event_type", "") if t == "event" else ""
    location = ""
    if t == "location":
        location = f"{part.get('name', '')} {part.get('address', '')} ({part.get('latitude', '')}, {part.get('longitude', '')})".strip()
    return wechat.InboundMessage(
        to_user=str(item.get("open_kfid", "")), from_user=str(item.get("external_userid") or part.get("external_userid") or ""),
        create_time=int(item.get("send_time") or 0), msg_type=t, msg_id=str(item.get("msgid", "")),
        content=str(part.get("content", "")) if t == "text" else "", media_id=str(part.get("media_id", "")),
        location=location, event=str(event), open_kfid=str(item.get("open_kfid") or part.get("open_kfid") or ""),
    )


def parse_contact(contact: Contact) -> wechat.InboundMessage:
    raw = bytes(contact.raw)
    if contact.external_id.startswith("kf:"):
        return _kf_message(json.loads(raw))
    return wechat.message_from_xml(wechat.parse_xml(raw))


# --- inbound, step 2: processing --------------------------------------------------------------------


def contact_process(*, contact_id: int) -> Contact | None:
    """Process a RECEIVED contact (the task; a second run finds it taken and does nothing)."""
    with transaction.atomic():
        contact = (
            Contact.objects.select_for_update().select_related("account")
            .filter(pk=contact_id, status=ContactStatus.RECEIVED).first()
        )
        if contact is None:
            return None
        reprocess(contact, timezone.now())
    return contact


def reprocess(contact: Contact, now: datetime) -> None:
    """Process a locked contact inside a savepoint; a failure keeps it as failed with the error.
    (Also the retry of the "could not process" list: services.REPROCESSORS.)"""
    notices: list[tuple[WechatIdentity, str]] = []
    try:
        with transaction.atomic():
            msg = parse_contact(contact)
            _process(contact, msg, now, notices)
    except Exception as exc:
        logger.warning("wechat: could not process contact %s: %s", contact.pk, exc, exc_info=not isinstance(exc, DomainError))
        contact.status = ContactStatus.FAILED
        contact.error = f"{exc.code}: {exc.message}" if isinstance(exc, DomainError) else services._short(exc)
        contact.ticket, contact.ticket_message_id, contact.opened_ticket = None, None, False
        notices = []
    contact.processed_at = now
    contact.save(update_fields=[
        "status", "reason", "error", "ticket", "ticket_message_id", "opened_ticket", "processed_at",
        "refused_attachments", "attempts", "sender_name",
    ])
    for identity, text in notices:
        transaction.on_commit(lambda i=identity, t=text: _notify(i, t))  # type: ignore[misc]


def _notify(identity: WechatIdentity, text: str) -> None:
    """A short automatic message (ask for the phone, confirm a claim): best effort, logged; a
    paused account (the demo's) sends nothing."""
    if not identity.account.is_active:
        return
    try:
        wechat_api.send_text(identity.account, to=identity.openid, text=text, open_kfid=identity.open_kfid)
    except Exception as exc:
        logger.warning("wechat: notice to %s not sent: %s", identity.openid, exc)


ASK_PHONE = "您好，欢迎联系客服中心。为了查到您的资料，请直接回复您的手机号码（11 位）；我们核对后会关联您的客户档案。"
CLAIM_RECEIVED = "已收到您的手机号 %(phone)s，客服核对后将关联您的客户档案。您可以继续留言描述问题。"
CLAIM_CONFIRMED = "您的微信已关联客户档案（手机尾号 %(tail)s），谢谢！"


def _identity(account: ChannelAccount, msg: wechat.InboundMessage, now: datetime) -> tuple[WechatIdentity, bool]:
    identity, created = WechatIdentity.objects.select_for_update().get_or_create(
        account=account, openid=msg.from_user[:64], defaults={"open_kfid": msg.open_kfid[:64]}
    )
    at = datetime.fromtimestamp(msg.create_time, tz=UTC) if msg.create_time else now
    at = min(at, now)
    changed = ["last_inbound_at"]
    if msg.open_kfid and identity.open_kfid != msg.open_kfid:
        identity.open_kfid = msg.open_kfid[:64]
        changed.append("open_kfid")
    if not identity.last_inbound_at or at > identity.last_inbound_at:
        identity.last_inbound_at = at
    unionid = msg.extra.get("UnionId", "")
    if unionid and not identity.unionid:
        identity.unionid = unionid[:64]
        changed.append("unionid")
    identity.save(update_fields=changed)
    return identity, created


def _customer(identity: WechatIdentity) -> Any:
    if identity.customer_id is not None and identity.customer is not None:
        return identity.customer
    customer, _created = customer_match_or_create(
        actor=None,
        identity=CustomerIdentity(name=f"微信用户{identity.openid[-6:]}", external_id=f"wx:{identity.openid}"[:64]),
    )
    identity.customer = customer
    identity.save(update_fields=["customer"])
    return customer


def _process(contact: Contact, msg: wechat.InboundMessage, now: datetime, notices: list[tuple[WechatIdentity, str]]) -> None:
    account = contact.account
    contact.error, contact.reason = "", ""
    if not msg.from_user:
        raise DomainError(code="no_sender", message=_("The message names no WeChat user."))
    identity, created = _identity(account, msg, now)
    if msg.msg_type == "event":
        event = msg.event.lower()
        if event == "subscribe" or event == "enter_session":
            identity.subscribed = True
            identity.save(update_fields=["subscribed"])
            if identity.claim_status == ClaimStatus.NONE:
                _ask_phone(identity, notices)
        elif event == "unsubscribe":
            identity.subscribed = False
            identity.save(update_fields=["subscribed"])
        contact.status, contact.reason = ContactStatus.PROCESSED, f"event_{event}"[:64]
        return
    phone = PHONE_RE.match(msg.content or "") if msg.msg_type == "text" else None
    if phone and identity.claim_status in (ClaimStatus.NONE, ClaimStatus.ASKED, ClaimStatus.REJECTED):
        number = normalize_phone(re.sub(r"[\s-]", "", phone.group(1)))
        identity.claimed_phone, identity.claim_status, identity.claimed_at = number, ClaimStatus.PENDING, now
        identity.save(update_fields=["claimed_phone", "claim_status", "claimed_at"])
        notices.append((identity, CLAIM_RECEIVED % {"phone": number[:3] + "****" + number[-4:]}))
        contact.status, contact.reason = ContactStatus.PROCESSED, "phone_claim"
        return
    customer = _customer(identity)
    body, uploads, refused = _body(account, msg)
    contact.refused_attachments = refused
    ticket = _open_ticket(account, customer.pk, now)
    message: TicketMessage | None = None
    if ticket is not None:
        try:
            with transaction.atomic():
                message = ticket_customer_reply(token=portal_token(ticket), body=body, uploads=uploads)
        except DomainError:
            ticket, message = None, None
    if ticket is None or message is None:
        title = body.split("\n", 1)[0][:60] or _("WeChat message")
        ticket = ticket_create(
            actor=None,
            data=TicketInput(title=title, description=body, channel=Channel.WECHAT, customer=customer, team=account.team, uploads=uploads),
            by_customer=True, at=now,
        )
        contact.opened_ticket, contact.ticket_message_id = True, None
    else:
        contact.opened_ticket, contact.ticket_message_id = False, message.pk
    contact.ticket, contact.status = ticket, ContactStatus.PROCESSED
    if created and identity.claim_status == ClaimStatus.NONE:
        _ask_phone(identity, notices)


def _ask_phone(identity: WechatIdentity, notices: list[tuple[WechatIdentity, str]]) -> None:
    identity.claim_status = ClaimStatus.ASKED
    identity.save(update_fields=["claim_status"])
    notices.append((identity, ASK_PHONE))


def _body(account: ChannelAccount, msg: wechat.InboundMessage) -> tuple[str, list[Upload], list[dict[str, Any]]]:
    uploads: list[Upload] = []
    refused: list[dict[str, Any]] = []
    t = msg.msg_type
    if t == "text":
        body = msg.content
    elif t == "image":
        body = _("[Image]")
    elif t == "voice":
        body = _("[Voice]") + (f" {msg.recognition}" if msg.recognition else "")
    elif t == "video" or t == "shortvideo":
        body = _("[Video]")
    elif t == "location":
        body = _("[Location] %(place)s") % {"place": msg.location}
    elif t == "link":
        body = _("[Link] %(title)s %(url)s") % {"title": msg.extra.get("Title", ""), "url": msg.extra.get("Url", "")}
    else:
        body = _("[Message of type %(type)s]") % {"type": t}
    if msg.media_id and t in ("image", "voice", "video", "shortvideo"):
        name = f"wechat-{t}-{msg.msg_id or msg.create_time}{MEDIA_SUFFIX.get(t, '.mp4')}"
        try:
            content, _ctype = wechat_api.media_get(account, msg.media_id)
            checked = check_upload(name=name, content=content)
            uploads.append(Upload(name=checked.name, content=checked.content))
        except DomainError as exc:
            refused.append({"name": name, "code": exc.code, "message": str(exc.message)})
        except Exception as exc:
            refused.append({"name": name, "code": "media_get_failed", "message": services._short(exc)})
        for r in refused:
            body += "\n" + _("[Attachment not taken: %(name)s — %(reason)s]") % {"name": r["name"], "reason": r["message"]}
    return body.strip() or _("(no text)"), uploads, refused


def _open_ticket(account: ChannelAccount, customer_id: int, now: datetime) -> Ticket | None:
    if not account.thread_window_hours:
        return None
    return (
        Ticket.objects.filter(
            customer_id=customer_id, channel=Channel.WECHAT, status__in=OPEN_STATUSES,
            updated_at__gte=now - timedelta(hours=account.thread_window_hours), merged_into__isnull=True,
        ).order_by("-updated_at", "-id").first()
    )


# --- phone claims ----------------------------------------------------------------------------------


def _require_agent(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_active) or (actor.role == Role.QA and not actor.is_superuser):
        raise Forbidden(code=ChannelErrorCode.FORBIDDEN, message=_("Your role may not link customers."))


def claim_decide(*, actor: User, identity_id: int, confirm: bool) -> WechatIdentity:
    """An agent confirms (or rejects) the phone a WeChat user claimed. Confirmed: the identity is
    linked to the customer who has that phone (their later tickets go to that profile), or the
    phone is added to the WeChat user's own profile when nobody has it."""
    _require_agent(actor)
    now = timezone.now()
    with transaction.atomic():
        identity = (
            WechatIdentity.objects.select_for_update(of=("self",)).select_related("account", "customer")
            .filter(pk=identity_id).first()
        )
        if identity is None:
            raise NotFound(code=ChannelErrorCode.NOT_FOUND, message=_("No such WeChat user."))
        if identity.claim_status != ClaimStatus.PENDING:
            raise DomainError(code="claim_not_pending", message=_("There is no phone claim waiting for confirmation."), status=409)
        if confirm:
            found = customer_find(CustomerIdentity(phone=identity.claimed_phone))
            if found is not None:
                identity.customer = found
            else:
                customer = _customer(identity)
                customer_add_phone(actor=actor, customer=customer, number=identity.claimed_phone, label="微信")
            identity.claim_status = ClaimStatus.CONFIRMED
            transaction.on_commit(lambda: _notify(identity, CLAIM_CONFIRMED % {"tail": identity.claimed_phone[-4:]}))
        else:
            identity.claim_status = ClaimStatus.REJECTED
        identity.decided_by, identity.decided_at = actor, now
        identity.save(update_fields=["customer", "claim_status", "decided_by", "decided_at"])
    return identity


# --- outbound --------------------------------------------------------------------------------------


def delivery_queue(*, message_id: int) -> tuple[Delivery | None, bool]:
    """An agent's public reply on a WeChat ticket goes back out as a customer-service message to the
    WeChat user whose message the ticket came from (the latest one). One Delivery per message."""
    message = TicketMessage.objects.select_related("ticket").filter(pk=message_id).first()
    if message is None or message.kind != MessageKind.REPLY or message.from_customer:
        return None, False
    ticket = message.ticket
    last = (
        Contact.objects.filter(ticket=ticket, channel=ChannelKind.WECHAT, status=ContactStatus.PROCESSED)
        .select_related("account").order_by("-received_at", "-id").first()
    )
    if last is None or not last.sender:
        return None, False
    now = timezone.now()
    with transaction.atomic():
        return Delivery.objects.get_or_create(
            message=message,
            defaults={
                "account": last.account, "ticket": ticket, "recipient": last.sender[:254], "subject": "",
                "external_id": f"wx.{ticket.number}.{message.pk}", "status": DeliveryStatus.PENDING,
                "next_attempt_at": now, "created_at": now,
            },
        )


def deliver(delivery: Delivery) -> None:
    """Send one delivery (services.delivery_send's sender for WeChat accounts). Raises Undeliverable
    for what no retry can fix, anything else for a retry."""
    account = delivery.account
    identity = WechatIdentity.objects.filter(account=account, openid=delivery.recipient).first()
    now = timezone.now()
    if identity is None:
        raise Undeliverable(_("The WeChat user is not known on this account."))
    if not account.is_active:
        raise RuntimeError("the WeChat account is paused: the reply waits until it is active again")
    if not identity.subscribed:
        raise Undeliverable(_("The customer unfollowed the account: WeChat does not deliver to them."))
    if identity.last_inbound_at is None or now - identity.last_inbound_at > WINDOW:
        last = timezone.localtime(identity.last_inbound_at).strftime("%Y-%m-%d %H:%M") if identity.last_inbound_at else "—"
        raise Undeliverable(
            _("Outside WeChat's 48-hour customer-service window (the customer last wrote at %(at)s): "
              "WeChat accepts no reply until they write again. Reach them by phone or SMS.") % {"at": last}
        )
    try:
        wechat_api.send_text(account, to=identity.openid, text=delivery.message.body, open_kfid=identity.open_kfid)
    except wechat_api.WechatApiError as exc:
        if exc.undeliverable:
            raise Undeliverable(_("WeChat refused the message: %(code)s %(message)s") % {"code": exc.errcode, "message": exc.errmsg}) from exc
        raise


# The common delivery and retry paths call these for WeChat accounts and contacts.
services.SENDERS[ChannelKind.WECHAT] = deliver
services.REPROCESSORS[ChannelKind.WECHAT] = reprocess
