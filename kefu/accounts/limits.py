"""Rate limits on signing in and on API tokens, per user and per client IP.

Fixed-window counters in Django's cache: the in-process memory cache by default (one web process,
as `make demo` runs), Redis when KEFU_REDIS_URL is set, so every web process shares the counts.
Each limit is "<hits>/<window>" with the window in s, m or h (KEFU_LOGIN_FAILURES_PER_USER
"5/15m": the fifth failed sign-in of a username within 15 minutes locks it for
KEFU_LOCKOUT_MINUTES). A lock-out is logged and mailed to the active administrators who have an
email address.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600}
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smh])\s*$")


@dataclass(frozen=True)
class Limit:
    hits: int
    seconds: int

    @classmethod
    def parse(cls, spec: str) -> Limit:
        """"5/15m" -> 5 hits per 900 s; "1200/1m"; "20/h"."""
        m = _SPEC.match(spec)
        if not m or int(m.group(1)) < 1:
            raise ValueError(f"a rate limit looks like 5/15m (hits / window in s, m or h), not {spec!r}")
        return cls(hits=int(m.group(1)), seconds=int(m.group(2) or 1) * _UNITS[m.group(3)])


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = max(int(retry_after), 1)


def limit(name: str) -> Limit:
    return Limit.parse(getattr(settings, name))


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or the header named by KEFU_CLIENT_IP_HEADER (e.g. X-Real-IP) when kefu runs
    behind a proxy that sets it; never a header the client could forge unless configured."""
    header = getattr(settings, "KEFU_CLIENT_IP_HEADER", "")
    if header:
        value = request.headers.get(header, "").split(",")[0].strip()
        if value:
            return value[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def _window(lim: Limit, now: float) -> tuple[int, int]:
    """(window number, seconds until it ends)."""
    n = int(now // lim.seconds)
    return n, int((n + 1) * lim.seconds - now) + 1


def hit(name: str, key: str, lim: Limit) -> int:
    """Count one hit of `key` against `lim` in the current window; returns the count so far."""
    window, left = _window(lim, time.time())
    bucket = f"kefu.limit:{name}:{key}:{lim.seconds}:{window}"
    if cache.add(bucket, 1, timeout=left + 5):
        return 1
    try:
        return int(cache.incr(bucket))
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=left + 5)
        return 1


def _lock_key(kind: str, key: str) -> str:
    return f"kefu.lockout:{kind}:{key}"


def locked_for(kind: str, key: str) -> int:
    """Seconds left of a lock-out of `key` (a username, an IP), 0 when not locked."""
    until = cache.get(_lock_key(kind, key))
    return max(int(until - time.time()), 0) if until else 0


def _lock(kind: str, key: str, *, failures: int, ip: str) -> None:
    seconds = int(settings.KEFU_LOCKOUT_MINUTES) * 60
    cache.set(_lock_key(kind, key), time.time() + seconds, timeout=seconds)
    logger.warning("lock-out: %s %s after %d failures (ip %s) for %d min", kind, key, failures, ip, seconds // 60)
    admins = list(
        User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True)
        .exclude(email="").values_list("email", flat=True)
    )
    if admins:
        what = {"user": _("the user name %(key)s"), "ip": _("the address %(key)s"), "token_ip": _("API tokens from %(key)s")}
        try:
            send_mail(
                _("kefu: sign-in locked for %(what)s") % {"what": what[kind] % {"key": key}},
                _(
                    "%(failures)s failed attempts (last from %(ip)s). Locked for %(minutes)s minutes; "
                    "nothing else is needed if this was a mistyped password."
                ) % {"failures": failures, "ip": ip, "minutes": seconds // 60},
                settings.DEFAULT_FROM_EMAIL,
                sorted(set(admins)),
            )
        except OSError:
            logger.exception("lock-out notice to the administrators could not be sent")


# --- signing in -----------------------------------------------------------------------------------


def login_check(username: str, ip: str) -> None:
    """Refuse (RateLimited) while the username or the address is locked out."""
    left = max(locked_for("user", username.lower()), locked_for("ip", ip))
    if left:
        raise RateLimited(left)


def login_failed(username: str, ip: str) -> None:
    """Count a failed sign-in; the one that reaches a limit locks the username or the address."""
    name = username.lower()[:150]
    per_user, per_ip = limit("KEFU_LOGIN_FAILURES_PER_USER"), limit("KEFU_LOGIN_FAILURES_PER_IP")
    n = hit("login.user", name, per_user)
    if n == per_user.hits:
        _lock("user", name, failures=n, ip=ip)
    m = hit("login.ip", ip, per_ip)
    if m == per_ip.hits:
        _lock("ip", ip, failures=m, ip=ip)


# --- API tokens -----------------------------------------------------------------------------------


def token_check(ip: str) -> None:
    """Refuse every token from an address locked out for guessing tokens."""
    left = locked_for("token_ip", ip)
    if left:
        raise RateLimited(left)


def token_failed(ip: str) -> None:
    per_ip = limit("KEFU_API_BAD_TOKENS_PER_IP")
    n = hit("token.bad", ip, per_ip)
    if n == per_ip.hits:
        _lock("token_ip", ip, failures=n, ip=ip)


def token_used(user_id: int) -> None:
    """Count one request of a user's token; over KEFU_API_REQUESTS_PER_USER it is refused until the
    window ends (no lock-out: a busy integration slows down, it is not an attack)."""
    per_user = limit("KEFU_API_REQUESTS_PER_USER")
    if hit("api.user", str(user_id), per_user) > per_user.hits:
        raise RateLimited(_window(per_user, time.time())[1])
