"""Email intake (issue 17): N queued messages in a real IMAP mailbox (a private dovecot, as the
tests start it) fetched and turned into tickets. Target: 1,000 in < 60 s on 2 cores.

The mix: the Chinese corpus of kefu/channels/tests/mail (GBK under GB2312, Big5, HTML-only,
attachments, auto-replies ...) cycled with fresh Message-IDs and senders; one in five is an answer
to an earlier mail of the same sender (threads onto its ticket), so both paths are timed.

    .venv/bin/python bench/channels/mail_bench.py [--messages 1000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mail .venv/bin/python bench/channels/mail_bench.py

Without DATABASE_URL it uses a fresh SQLite database in a temporary KEFU_DATA_DIR.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def messages(n: int) -> list[bytes]:
    corpus = sorted((ROOT / "kefu/channels/tests/mail").glob("*.eml"))
    raws = [p.read_bytes() for p in corpus]
    out = []
    for i in range(n):
        raw = raws[i % len(raws)]
        sender = f"bench{i // 5}@example.com"
        raw = re.sub(rb"(?im)^Message-ID:.*\r\n", b"", raw, count=1)
        raw = re.sub(rb"(?im)^(From|Reply-To):[^\r\n]*\r\n", b"", raw)
        extra = f"From: customer {i // 5} <{sender}>\r\nMessage-ID: <bench-{i}@example.com>\r\n"
        if i % 5:
            extra += f"In-Reply-To: <bench-{i - i % 5}@example.com>\r\n"
        out.append(extra.encode() + raw)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kefu-mail-bench-"))
    os.environ.setdefault("KEFU_DATA_DIR", str(tmp / "data"))
    os.environ["KEFU_TASKS_BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"
    os.environ.setdefault("KEFU_LOG_LEVEL", "ERROR")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from imapclient import IMAPClient

    from kefu.accounts.models import Team, User
    from kefu.channels.models import Contact
    from kefu.channels.services import AccountInput, account_fetch_now, account_save
    from kefu.channels.tests.servers import dovecot
    from kefu.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    with dovecot(tmp) as imap:
        raws = messages(args.messages)
        c = IMAPClient(imap.host, port=imap.port, ssl=False)
        c.login(imap.user, imap.password)
        t0 = time.perf_counter()
        for raw in raws:
            c.append("INBOX", raw)
        c.logout()
        print(f"queued {len(raws)} messages in {time.perf_counter() - t0:.1f} s")
        team, _ = Team.objects.get_or_create(name="一线客服", defaults={"is_default": True})
        manager, _ = User.objects.get_or_create(username="bench_mail_manager", defaults={"role": "manager"})
        account = account_save(actor=manager, data=AccountInput(
            name=f"bench {time.time()}", team=team, rate_limit_per_hour=1_000_000, secret=imap.password,
            config={"source": "imap", "imap_host": imap.host, "imap_port": imap.port, "imap_security": "none",
                    "username": imap.user, "from_address": imap.user}))
        before = Ticket.objects.count()
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        result = account_fetch_now(account=account)
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    statuses = dict.fromkeys(["processed", "ignored", "failed"], 0)
    for s in Contact.objects.filter(account=account).values_list("status", flat=True):
        statuses[s] = statuses.get(s, 0) + 1
    engine = django.db.connection.vendor
    print(f"{engine}: fetched {result.fetched}, new {result.created}, in {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"({result.fetched / wall:.0f} messages/s); tickets opened {Ticket.objects.count() - before}; contacts {statuses}")


if __name__ == "__main__":
    main()
