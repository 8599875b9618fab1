"""Configuration tokens: the cheap version check behind every per-process configuration cache.

An app that caches configuration which rarely changes (SLA calendars and policies, dispatch rules,
the dispatch robot's id ...) registers a scalar subquery that answers its current token. `value()`
reads every registered token in ONE statement, so a ticket create that consults three caches pays
for one round trip, not three. Inside a request the answer is kept until the request ends: an
admin's edit is seen by the next request, and the editing request itself drops what it kept
(`forget()`, called by the apps' "config changed" functions). Outside a request (tasks, the clock,
commands, tests calling services) nothing is kept: every `value()` reads afresh.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import connection

# name -> (scalar subquery, its parameters). Registered at import time of the owning module.
_probes: dict[str, tuple[str, tuple[Any, ...]]] = {}
# None: not inside a request (nothing is kept). {}: inside one, nothing read yet.
_kept: ContextVar[dict[str, Any] | None] = ContextVar("kefu_config_tokens", default=None)


def register(name: str, sql: str, params: tuple[Any, ...] = ()) -> None:
    """`sql` is a query answering one value (one row, one column, or no row for None)."""
    _probes[name] = (sql, params)


def _read() -> dict[str, Any]:
    names = sorted(_probes)
    if not names:
        return {}
    select = ", ".join(f"({_probes[n][0]})" for n in names)
    params = [p for n in names for p in _probes[n][1]]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select}", params)  # noqa: S608 - registered SQL, parameters bound
        row = cursor.fetchone()
    return dict(zip(names, row, strict=True))


def values() -> dict[str, Any]:
    """Every current token (one statement for all of them; none again in this request)."""
    kept = _kept.get()
    if kept:
        return dict(kept)
    read = _read()
    if kept is not None:
        kept.update(read)
    return read


def value(name: str) -> Any:
    """The current token of `name` (see values())."""
    return values()[name]


def forget() -> None:
    """The configuration was edited in this request: read the tokens again on the next use."""
    kept = _kept.get()
    if kept is not None:
        kept.clear()


@contextmanager
def kept() -> Iterator[None]:
    """Keep the tokens for the block (one ticket change and its reactions, one dispatch decision)
    when no request keeps them already."""
    if _kept.get() is not None:
        yield
        return
    reset = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(reset)


def _request_started(**_kwargs: Any) -> None:
    _kept.set({})


def _request_finished(**_kwargs: Any) -> None:
    _kept.set(None)


request_started.connect(_request_started, dispatch_uid="kefu.core.tokens.started")
request_finished.connect(_request_finished, dispatch_uid="kefu.core.tokens.finished")
