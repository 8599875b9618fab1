"""Channel secrets (mailbox passwords, API secrets) at rest: Fernet (AES-128-CBC + HMAC) with a key
derived from SECRET_KEY, so a database dump alone does not give the mailbox away. Changing
SECRET_KEY makes stored secrets unreadable: enter them again on the account page."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    digest = hashlib.sha256(("kefu.channels.secret:" + settings.SECRET_KEY).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt(token: str) -> str:
    """The secret, or "" when none is stored or it cannot be read (SECRET_KEY changed)."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""
