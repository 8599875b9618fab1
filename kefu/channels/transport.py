"""The outside world of the email channel: IMAP (IMAPClient), a local maildir (the demo), SMTP.

IMAPClient over the stdlib's imaplib: it is imaplib underneath, but parses FETCH/SEARCH answers
into Python values, speaks UIDs by default and handles literals and UTF-7 folder names; imaplib
leaves all of that to the caller, which is where IMAP code usually breaks.

A source hands out (key, raw bytes) of unseen messages and marks them seen on request; the intake
marks a message only after its contact and ticket committed (kefu.channels.services.account_fetch).
"""

from __future__ import annotations

import mailbox
import smtplib
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from imapclient import IMAPClient


class Source(Protocol):
    def unseen(self, limit: int) -> list[Any]: ...

    def fetch(self, keys: list[Any]) -> dict[Any, bytes]: ...

    def mark_seen(self, keys: list[Any]) -> None: ...


class ImapSource:
    def __init__(self, client: IMAPClient, folder: str) -> None:
        self.client = client
        self.folder = folder
        client.select_folder(folder)

    def unseen(self, limit: int) -> list[Any]:
        return sorted(self.client.search(["UNSEEN"]))[:limit]

    def fetch(self, keys: list[Any]) -> dict[Any, bytes]:
        # BODY.PEEK[] leaves \Seen alone: only mark_seen sets it, after the commit.
        answer = self.client.fetch(keys, ["BODY.PEEK[]"])
        return {uid: data.get(b"BODY[]", b"") for uid, data in answer.items()}

    def mark_seen(self, keys: list[Any]) -> None:
        if keys:
            self.client.add_flags(keys, [b"\\Seen"], silent=True)

    def can_idle(self) -> bool:
        return bool(self.client.has_capability("IDLE"))

    def idle_wait(self, seconds: float, stop: threading.Event | None = None, *, check: float = 1.0) -> bool:
        """IDLE (RFC 2177) for at most `seconds`; True as soon as the server announces new mail
        (EXISTS/RECENT), False when the time ran out or `stop` was set. The IDLE is always ended
        (DONE) before returning, so the connection is ready for the next command; a BYE or a
        dropped connection raises (the watcher reconnects)."""
        end = time.monotonic() + seconds
        self.client.idle()
        arrived = False
        try:
            while not arrived and time.monotonic() < end and not (stop is not None and stop.is_set()):
                for resp in self.client.idle_check(timeout=min(check, max(0.0, end - time.monotonic()))):
                    if len(resp) >= 2 and resp[1] in (b"EXISTS", b"RECENT"):
                        arrived = True
                    elif resp and resp[0] == b"BYE":
                        raise ConnectionError("the IMAP server closed the connection (BYE) during IDLE")
        finally:
            self.client.idle_done()
        return arrived


class MaildirSource:
    """A local maildir: unseen = without the S flag. For the demo and for mail dropped by a local MTA."""

    def __init__(self, path: str) -> None:
        self.box = mailbox.Maildir(path, factory=None, create=True)

    def unseen(self, limit: int) -> list[Any]:
        keys = [k for k, m in self.box.iteritems() if "S" not in m.get_flags()]
        return sorted(keys)[:limit]

    def fetch(self, keys: list[Any]) -> dict[Any, bytes]:
        return {k: self.box.get_bytes(k) for k in keys}

    def mark_seen(self, keys: list[Any]) -> None:
        for k in keys:
            msg = self.box[k]
            msg.set_subdir("cur")
            msg.add_flag("S")
            self.box[k] = msg


def _ssl_context(config: dict[str, Any]) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if config.get("tls_insecure"):
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


@contextmanager
def open_source(config: dict[str, Any], password: str, timeout: float = 30) -> Iterator[Source]:
    if config.get("source") == "maildir":
        yield MaildirSource(str(config.get("maildir_path", "")))
        return
    use_ssl = config.get("imap_security", "ssl") == "ssl"
    client = IMAPClient(
        config["imap_host"],
        port=int(config.get("imap_port") or (993 if use_ssl else 143)),
        ssl=use_ssl,
        ssl_context=_ssl_context(config) if use_ssl else None,
        timeout=timeout,
    )
    try:
        if config.get("imap_security") == "starttls":
            client.starttls(_ssl_context(config))
        client.login(config["username"], password)
        yield ImapSource(client, config.get("folder") or "INBOX")
    finally:
        try:
            client.logout()
        except Exception:
            pass


def send(config: dict[str, Any], password: str, message: EmailMessage, *, timeout: float = 30) -> None:
    """Send through the account's SMTP server; without an SMTP host, write the .eml to the outbox
    directory (the offline demo)."""
    host = config.get("smtp_host") or ""
    if not host:
        outbox = Path(config.get("outbox_path") or "outbox")
        outbox.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").replace("/", "_") + ".eml"
        (outbox / name).write_bytes(bytes(message))
        return
    security = config.get("smtp_security", "starttls")
    port = int(config.get("smtp_port") or {"ssl": 465, "starttls": 587}.get(security, 25))
    smtp: smtplib.SMTP
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_ssl_context(config))
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=_ssl_context(config))
        _login(smtp, config, password)
        smtp.send_message(message)


def _login(smtp: smtplib.SMTP, config: dict[str, Any], password: str) -> None:
    # Log in where the server offers AUTH; a local relay that offers none takes the mail as it is.
    user = config.get("smtp_username") or config.get("username") or ""
    smtp.ehlo_or_helo_if_needed()
    if user and password and smtp.has_extn("auth"):
        smtp.login(user, password)


def check_smtp(config: dict[str, Any], password: str, *, timeout: float = 15) -> None:
    host = config.get("smtp_host") or ""
    if not host:
        return
    security = config.get("smtp_security", "starttls")
    port = int(config.get("smtp_port") or {"ssl": 465, "starttls": 587}.get(security, 25))
    smtp = (
        smtplib.SMTP_SSL(host, port, timeout=timeout, context=_ssl_context(config))
        if security == "ssl"
        else smtplib.SMTP(host, port, timeout=timeout)
    )
    with smtp:
        if security == "starttls":
            smtp.starttls(context=_ssl_context(config))
        _login(smtp, config, password)
        smtp.noop()
