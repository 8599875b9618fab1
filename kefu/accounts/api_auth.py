"""The API's bearer-token auth, here (below every app) so each app's router can name it without
importing kefu.api, the top layer."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from kefu.accounts.models import User
from kefu.accounts.services import api_token_authenticate


class BearerAuth(HttpBearer):
    """`Authorization: Bearer kefu_...`; the token's user becomes request.auth (and request.user)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_authenticate(token.strip())
        if user is not None:
            request.user = user
        return user
