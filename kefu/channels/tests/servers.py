"""Real servers for the email channel's tests: Debian's dovecot (IMAP) started as a private
instance on a free port, with a passwd-file user and a maildir under a temporary directory, and an
aiosmtpd SMTP sink in a thread. No mock of the client: IMAPClient and smtplib talk to them.

dovecot missing fails the tests (it does not skip them): `.ci/run` installs dovecot-imapd."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Imap:
    host: str
    port: int
    user: str
    password: str
    root: Path


CONF = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
default_internal_user = {sysuser}
default_internal_group = {sysgroup}
default_login_user = {sysuser}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{extra}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@contextmanager
def dovecot(
    tmp: Path, user: str = "kefu@example.cn", password: str = "imap-pass", *, capability: str = ""
) -> Iterator[Imap]:
    """`capability` overrides what dovecot advertises after login (`imap_capability`), e.g. to
    play a server without IDLE."""
    if not os.path.exists(DOVECOT):
        raise RuntimeError("dovecot is not installed: apt-get install -y dovecot-imapd (.ci/run does it)")
    # Its own directory under /tmp, not pytest's (mode 0700, which dovecot's unprivileged
    # processes cannot walk through when the tests run as root).
    root = Path(tempfile.mkdtemp(prefix="kefu-dovecot-", dir=tmp if os.getuid() != 0 else None))
    os.chmod(root, 0o755)
    for d in ("run", "state", "mail", "home"):
        (root / d).mkdir(parents=True, exist_ok=True)
    (root / "passwd").write_text(f"{user}:{{PLAIN}}{password}\n")
    me = pwd.getpwuid(os.getuid())
    if os.getuid() == 0:
        # As root, mail is stored as an unprivileged user and the login processes drop to dovenull.
        mail = pwd.getpwnam("nobody")
        sysuser = "dovenull" if _has_user("dovenull") else "nobody"
        uid, gid = mail.pw_uid, mail.pw_gid
        for d in ("mail", "home"):
            os.chown(root / d, uid, gid)
    else:
        sysuser, uid, gid = me.pw_name, me.pw_uid, me.pw_gid
    port = free_port()
    conf = root / "dovecot.conf"
    conf.write_text(
        CONF.format(
            root=root,
            sysuser=sysuser,
            sysgroup=_group_of(sysuser),
            uid=uid,
            gid=gid,
            port=port,
            extra=f"imap_capability = {capability}" if capability else "",
        )
    )
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        end = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > end:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                out = proc.stdout.read().decode() if proc.stdout and proc.poll() is not None else ""
                raise RuntimeError(f"dovecot did not start: {out}\n{log}")
            time.sleep(0.1)
        yield Imap("127.0.0.1", port, user, password, root)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _group_of(user: str) -> str:
    return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name


@dataclass
class Sink:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    fail_next: int = 0  # answer this many DATA commands with a temporary failure (451) first


class _Handler:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if self.sink.fail_next > 0:
            self.sink.fail_next -= 1
            return "451 4.3.0 Temporary local problem, try again later"
        data = envelope.original_content or envelope.content
        self.sink.raw.append(bytes(data))
        self.sink.messages.append(message_from_bytes(bytes(data)))
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[Sink]:
    from aiosmtpd.controller import Controller

    port = free_port()
    sink = Sink("127.0.0.1", port)
    controller = Controller(_Handler(sink), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
