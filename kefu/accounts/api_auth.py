"""The API's bearer-token auth, here (below every app) so each app's router can name it without
importing kefu.api, the top layer."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from kefu.accounts import limits
from kefu.accounts.models import User
from kefu.accounts.services import TOKEN_PREFIX, api_token_authenticate


class BearerAuth(HttpBearer):
    """`Authorization: Bearer kefu_...`; the token's user becomes request.auth (and request.user)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        """Rate limits (kefu.accounts.limits): an address that guessed too many tokens is refused
        for a while; each user's requests are counted against KEFU_API_REQUESTS_PER_USER."""
        ip = limits.client_ip(request)
        limits.token_check(ip)
        token = token.strip()
        user = api_token_authenticate(token)
        if user is None:
            if token.startswith(TOKEN_PREFIX):
                # a guess against the token store (a customer's tracking link is not one)
                limits.token_failed(ip)
            return None
        limits.token_used(user.pk)
        request.user = user
        return user
