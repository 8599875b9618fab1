"""Signed webhooks (CTI events, SMS receipts and inbound SMS).

The sender names its account and signs the exact bytes of the body with the account's secret:

    X-Kefu-Account:   <account id>
    X-Kefu-Timestamp: <Unix seconds>
    X-Kefu-Signature: hex(HMAC-SHA256(secret, "<timestamp>." + body))

A timestamp more than `KEFU_WEBHOOK_WINDOW_SECONDS` (300) away from our clock is refused (replay
window); within it, a replayed request is harmless because every event carries its own id and
intake is idempotent on it. Every refusal is a 401 with a stable code, checked before the body is
parsed: nothing of an unsigned request is read or kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kefu.channels import vault
from kefu.channels.models import ChannelAccount
from kefu.core.errors import DomainError

HEADER_ACCOUNT = "X-Kefu-Account"
HEADER_TIMESTAMP = "X-Kefu-Timestamp"
HEADER_SIGNATURE = "X-Kefu-Signature"


class SignatureErrorCode(StrEnum):
    MISSING = "signature_missing"
    UNKNOWN_ACCOUNT = "signature_unknown_account"
    STALE = "signature_stale"
    INVALID = "signature_invalid"


SIGNATURE_CODES = frozenset(c.value for c in SignatureErrorCode)


def window_seconds() -> int:
    return int(getattr(settings, "KEFU_WEBHOOK_WINDOW_SECONDS", 300))


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signed_headers(account_id: int, secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers a sender (the simulator, the tests, a CTI adapter) puts on a request."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {HEADER_ACCOUNT: str(account_id), HEADER_TIMESTAMP: str(ts), HEADER_SIGNATURE: sign(secret, ts, body)}


def webhook_secret(account: ChannelAccount) -> str:
    """A CTI account's secret is its signing key; an SMS account keeps a JSON of two secrets (the
    gateway's AccessKey secret and the webhook signing key)."""
    plain = vault.decrypt(account.secret_encrypted) if account.secret_encrypted else ""
    if plain.startswith("{"):
        try:
            return str(json.loads(plain).get("webhook_secret", ""))
        except ValueError:
            return ""
    return plain


@dataclass(frozen=True)
class Verified:
    account: ChannelAccount
    body: bytes


def _refuse(code: SignatureErrorCode, message: str) -> DomainError:
    return DomainError(code=code, message=message, status=401)


def verify(request: HttpRequest, *, kind: str, now: float | None = None) -> Verified:
    """The account that signed this request, or a 401 DomainError saying what is wrong."""
    account_ref = request.headers.get(HEADER_ACCOUNT, "").strip()
    ts = request.headers.get(HEADER_TIMESTAMP, "").strip()
    signature = request.headers.get(HEADER_SIGNATURE, "").strip().lower()
    if not (account_ref and ts and signature):
        raise _refuse(SignatureErrorCode.MISSING, _("This endpoint takes signed requests only (X-Kefu-Account, X-Kefu-Timestamp, X-Kefu-Signature)."))
    account = (
        ChannelAccount.objects.filter(pk=int(account_ref), kind=kind, is_active=True).first()
        if account_ref.isdigit() and len(account_ref) < 18 else None
    )
    if account is None:
        raise _refuse(SignatureErrorCode.UNKNOWN_ACCOUNT, _("No active account of this kind has that id."))
    try:
        stamp = int(ts)
    except ValueError:
        raise _refuse(SignatureErrorCode.STALE, _("The timestamp is not a number of seconds.")) from None
    if abs((time.time() if now is None else now) - stamp) > window_seconds():
        raise _refuse(SignatureErrorCode.STALE, _("The timestamp is outside the accepted window; check the sender's clock."))
    secret = webhook_secret(account)
    body = request.body
    if not secret or not hmac.compare_digest(sign(secret, stamp, body), signature):
        raise _refuse(SignatureErrorCode.INVALID, _("The signature does not match the body."))
    return Verified(account=account, body=body)


def json_body(body: bytes) -> Any:
    """The body as JSON; a 422 in the error shape when it is not."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DomainError(code="invalid_json", message=_("The body is not JSON."), status=422) from None
