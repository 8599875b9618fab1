"""Writes to people, teams and tokens."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.choices import Presence
from kefu.accounts.models import ApiToken, User
from kefu.accounts.reactions import presence_changed
from kefu.core.errors import DomainError, Forbidden

TOKEN_PREFIX = "kefu_"


def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a Bearer token for `user`. Returns (row, token); the token is not stored and is shown once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=user, name=name[:64], digest=ApiToken.digest_of(token), prefix=token[:12])
    return row, token


def api_token_authenticate(token: str) -> User | None:
    """The active user a Bearer token belongs to, or None. Records when it was last used (at most once a minute)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("user", "user__team")
        .filter(digest=ApiToken.digest_of(token), revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def api_token_revoke(*, actor: User, token_id: int) -> None:
    with transaction.atomic():
        row = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if row is None:
            raise DomainError(code="token_not_found", message=_("Token not found."), status=404)
        if row.user_id != actor.pk and not actor.is_supervising:
            raise Forbidden(code="forbidden", message=_("You may only revoke your own tokens."))
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])


def user_set_presence(*, actor: User, user: User, presence: str) -> User:
    """Set online / busy / away / offline. Users set their own; supervisors may set anyone's."""
    if presence not in Presence.values:
        raise DomainError(code="invalid_presence", message=_("Unknown presence."))
    if actor.pk != user.pk and not actor.is_supervising:
        raise Forbidden(code="forbidden", message=_("You may only change your own presence."))
    if user.presence != presence:
        user.presence = presence
        user.presence_changed_at = timezone.now()
        user.save(update_fields=["presence", "presence_changed_at"])
        # After commit: dispatch returns untouched tickets of an agent going offline, drains the
        # queue for one coming online (kefu.dispatch.reactions).
        presence_changed(user)
    return user
