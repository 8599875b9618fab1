"""A CTI simulator: turns a day of the bank's call log (../shared/callcenter, Anonymous Bank 1999,
Brown et al. 2005) into the signed events a CTI system would post, and plays them against
/api/v1/channels/calls/events — over HTTP to a running kefu, or in this process through Django's
test client (the demo). Used by `kefu cti_simulate`, the demo and bench/channels.

Per logged call that reached the queue: `ringing` at queue entry (no agent: the queue's team sees
it), then for a served call `answered` by the agent at service start, `ended` at its end, `wrapup`
(10–40 s of after-call work) and `recording`; an abandoned call is `missed` at queue exit (a
callback). The log's agent names are mapped in turn onto the account team's active agents; its
customer ids onto stable pseudo mobile numbers (0, unidentified, onto fresh ones); the day's
times onto `day` (default today) in the business time zone.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client
from django.utils import timezone

from kefu.channels import signing

QUEUES = {"PS": "普通业务", "PE": "英文服务", "IN": "网银业务", "NE": "证券业务", "NW": "新客户", "TT": "留言回拨"}


def default_log() -> Path | None:
    """The January log in shared/ beside the checkout (KEFU_SHARED_DIR overrides), if it is there."""
    repo = Path(settings.BASE_DIR).parent
    env = os.environ.get("KEFU_SHARED_DIR")
    for base in ([Path(env)] if env else []) + [repo.parent / "shared", repo.parent.parent / "shared"]:
        path = base / "callcenter" / "anonymous_bank_1999_01_january.txt"
        if path.exists():
            return path
    return None


@dataclass(frozen=True)
class LoggedCall:
    call_id: str
    customer_id: str
    kind: str
    q_start: int  # seconds after midnight
    q_exit: int
    outcome: str
    ser_start: int
    ser_exit: int
    server: str


def _sec(hms: str) -> int:
    h, m, s = (int(x) for x in hms.split(":"))
    return h * 3600 + m * 60 + s


def read_day(path: Path, day: str | None = None) -> tuple[str, list[LoggedCall]]:
    """The calls of one day (YYMMDD; default the log's busiest day) that reached the queue."""
    rows: dict[str, list[LoggedCall]] = {}
    with path.open(encoding="latin-1") as f:
        next(f)
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 17 or p[9] == "0:00:00" or p[12] == "PHANTOM":
                continue
            rows.setdefault(p[5], []).append(LoggedCall(
                call_id=p[1], customer_id=p[2], kind=p[4], q_start=_sec(p[9]), q_exit=_sec(p[10]), outcome=p[12],
                ser_start=_sec(p[13]), ser_exit=_sec(p[14]), server=p[16],
            ))
    if not rows:
        return "", []
    chosen = day if day in rows else max(rows, key=lambda d: len(rows[d]))
    return chosen, sorted(rows[chosen], key=lambda c: c.q_start)


def pseudo_phone(customer_id: str, rng: random.Random) -> str:
    if customer_id in ("", "0"):
        return "13" + "".join(str(rng.randint(0, 9)) for _ in range(9))
    digest = int(hashlib.sha256(customer_id.encode()).hexdigest(), 16)
    return "13" + f"{digest % 10**9:09d}"


@dataclass(frozen=True)
class Event:
    at: datetime
    payload: dict[str, Any]


def events_for(
    calls: Iterable[LoggedCall], *, day: date, agents: list[str], seed: int = 7, prefix: str = "sim",
    phones: list[str] | None = None,
) -> list[Event]:
    """Every event of the calls, in time order. `phones`: numbers to use for the first callers
    (known customers, so their cards pop)."""
    rng = random.Random(seed)
    tz = timezone.get_current_timezone()
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    names: dict[str, str] = {}
    out: list[Event] = []
    known = list(phones or [])
    for n, c in enumerate(calls):
        cid = f"{prefix}-{day:%Y%m%d}-{c.call_id}"
        caller = known[n % len(known)] if known and rng.random() < 0.3 else pseudo_phone(c.customer_id, rng)
        queue = QUEUES.get(c.kind, c.kind)
        base = {"call_id": cid, "queue": queue}

        def add(seconds: int, kind: str, base: dict[str, Any] = base, cid: str = cid, **extra: Any) -> None:
            at = midnight + timedelta(seconds=seconds)
            out.append(Event(at, {**base, "event_id": f"{cid}-{kind}", "type": kind, "at": at.isoformat(), **extra}))

        add(c.q_start, "ringing", caller=caller, callee="95555")
        if c.outcome == "AGENT" and c.server != "NO_SERVER" and agents:
            agent = names.setdefault(c.server, agents[len(names) % len(agents)])
            add(max(c.ser_start, c.q_start), "answered", agent=agent)
            end = max(c.ser_exit, c.ser_start, c.q_start)
            wrap = rng.randint(10, 40)
            add(end, "ended", agent=agent)
            add(end + wrap, "wrapup", wrap_seconds=wrap)
            add(end + wrap + 1, "recording", recording_url=f"https://recordings.example.cn/{cid}.mp3")
        else:
            add(max(c.q_exit, c.q_start), "missed")
    out.sort(key=lambda e: (e.at, e.payload["event_id"]))
    return out


Sender = Callable[[bytes, dict[str, str]], tuple[int, dict[str, Any]]]


def http_sender(base_url: str, timeout: float = 10) -> Sender:
    url = base_url.rstrip("/") + "/api/v1/channels/calls/events"

    def send(body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (a kefu the operator names)
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    return send


def client_sender() -> Sender:
    client = Client()  # the in-process transport (demo, tests): no server needed

    def send(body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        r = client.post("/api/v1/channels/calls/events", body, content_type="application/json", headers=headers)
        return r.status_code, r.json()

    return send


@dataclass
class PlayResult:
    sent: int = 0
    failed: int = 0
    duplicates: int = 0


def play(events: Iterable[Event], *, account_id: int, secret: str, send: Sender, speed: float = 0,
         on_event: Callable[[Event, int], None] | None = None) -> PlayResult:
    """Post the events, signed. `speed` 0: as fast as they go; N: N times real time."""
    result = PlayResult()
    first: datetime | None = None
    t0 = time.monotonic()
    for e in events:
        if speed > 0:
            first = first or e.at
            wait = (e.at - first).total_seconds() / speed - (time.monotonic() - t0)
            if wait > 0:
                time.sleep(min(wait, 60))
        body = json.dumps(e.payload, ensure_ascii=False).encode()
        status, answer = send(body, signing.signed_headers(account_id, secret, body))
        if status == 200:
            result.sent += 1
            result.duplicates += bool(answer.get("duplicate"))
        else:
            result.failed += 1
        if on_event:
            on_event(e, status)
    return result


