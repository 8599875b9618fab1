"""Requests that survive a lost database connection (a restarted PostgreSQL, a cut connection, a
failover): kefu.api.LostConnectionRetryMiddleware runs the whole request again on a fresh connection.

Only for work that is safe to run twice: reads, and a create under an Idempotency-Key (a run after a
COMMIT whose answer was lost finds the first ticket). Inside an outer transaction (a test, a
caller's own atomic block) a lost connection is not recognised: the outer block is broken too and
must fail as a whole.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest

LOST = (OperationalError, InterfaceError)


# SQLSTATEs of a connection that is gone: class 08 (connection exception), and the server shutting
# the session down (57P01 admin shutdown / pg_terminate_backend, 57P02 crash, 57P03 cannot connect now).
GONE_STATES = ("08", "57P01", "57P02", "57P03")


def gone(exc: BaseException) -> bool:
    """The error says the PostgreSQL connection is gone (not a lock timeout, a serialization failure
    or a bad statement, which carry their own SQLSTATE)."""
    if not isinstance(exc, LOST) or connection.vendor != "postgresql":
        return False
    state = getattr(exc.__cause__, "sqlstate", None)
    if state:
        return state.startswith(GONE_STATES)
    return True  # broken without an answer from the server ("server closed the connection unexpectedly")


def connection_lost(exc: BaseException) -> bool:
    """`gone(exc)`, seen where the work can be run again: outside every atomic block (Django has
    already reopened the connection when the outermost one ended, so the error itself tells)."""
    return not connection.in_atomic_block and gone(exc)


# Creates that honour an Idempotency-Key: run again whole, a create finds the first ticket.
KEYED_CREATES = frozenset({"/api/v1/tickets/"})


def may_run_again(request: HttpRequest) -> bool:
    """Reads, and creates under an Idempotency-Key (decided from the request itself, so a connection
    lost while authenticating counts too)."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return True
    return request.method == "POST" and request.path in KEYED_CREATES and bool(request.headers.get("Idempotency-Key"))
