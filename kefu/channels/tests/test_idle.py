"""The IDLE watcher against the real dovecot: a mail delivered while the watcher waits in IDLE
becomes a ticket without any poll; a server that does not advertise IDLE is polled."""

from __future__ import annotations

import threading

import pytest
from imapclient import IMAPClient

from kefu.channels.choices import ContactStatus
from kefu.channels.idle import account_watch
from kefu.channels.models import Contact
from kefu.channels.services import FetchResult
from kefu.channels.tests.conftest import eml
from kefu.channels.tests.servers import dovecot
from kefu.channels.tests.test_servers import _account, _append, _unseen
from kefu.tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

NO_IDLE = "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE SORT THREAD=REFERENCES MULTIAPPEND UIDPLUS UNSELECT NAMESPACE"
SAFETY = 60.0  # the deliverer stops a watcher that never takes the mail in (the test then fails)


def _watch(
    imap, account, *, deliveries: list[bytes], idle_seconds: float, poll_seconds: float
) -> tuple[list[str], list[FetchResult]]:
    """Run the watcher here; a second thread appends one mail each time the watcher starts to
    wait, and stops it once every mail was taken in."""
    waits: list[str] = []
    fetches: list[FetchResult] = []
    stop = threading.Event()
    waiting = threading.Event()
    pending = list(deliveries)
    taken = [0]

    def on_wait(mode: str) -> None:
        waits.append(mode)
        waiting.set()

    def on_fetch(result: FetchResult) -> None:
        fetches.append(result)
        taken[0] += result.created
        if taken[0] >= len(deliveries):
            stop.set()

    def deliver() -> None:
        while pending and not stop.is_set():
            if waiting.wait(SAFETY):
                waiting.clear()
                _append(imap, pending.pop(0))
            else:
                break
        stop.wait(SAFETY)
        stop.set()

    t = threading.Thread(target=deliver, daemon=True)
    t.start()
    account_watch(
        account_id=account.pk,
        stop=stop,
        idle_seconds=idle_seconds,
        poll_seconds=poll_seconds,
        on_wait=on_wait,
        on_fetch=on_fetch,
    )
    stop.set()
    t.join(SAFETY)
    return waits, fetches


@pytest.fixture
def imap(tmp_path):
    with dovecot(tmp_path) as server:
        yield server


def test_the_server_advertises_idle(imap):
    c = IMAPClient(imap.host, port=imap.port, ssl=False)
    c.login(imap.user, imap.password)
    assert c.has_capability("IDLE")
    c.logout()


def test_a_mail_delivered_during_idle_becomes_a_ticket(imap, manager_mike):
    account = _account(manager_mike, imap)
    # Neither the IDLE timeout (an hour) nor polling (an hour) can bring the mail: only the
    # server's EXISTS during IDLE can.
    waits, fetches = _watch(
        imap,
        account,
        deliveries=[eml(subject="IDLE 来信", message_id="<idle1@example.com>")],
        idle_seconds=3600,
        poll_seconds=3600,
    )
    assert waits == ["idle"]
    assert [f.created for f in fetches] == [0, 1]
    contact = Contact.objects.get(account=account)
    assert contact.status == ContactStatus.PROCESSED
    assert Ticket.objects.filter(pk=contact.ticket_id, title__contains="IDLE 来信").exists()
    assert _unseen(imap) == 0


def test_without_idle_advertised_the_watcher_polls(tmp_path, manager_mike):
    with dovecot(tmp_path, capability=NO_IDLE) as imap:
        c = IMAPClient(imap.host, port=imap.port, ssl=False)
        c.login(imap.user, imap.password)
        assert not c.has_capability("IDLE")
        c.logout()
        account = _account(manager_mike, imap)
        waits, fetches = _watch(
            imap,
            account,
            deliveries=[eml(subject="轮询来信", message_id="<poll1@example.com>")],
            idle_seconds=3600,
            poll_seconds=0.5,
        )
        assert waits and set(waits) == {"poll"}
        assert sum(f.created for f in fetches) == 1
        assert Contact.objects.get(account=account).status == ContactStatus.PROCESSED


def test_a_server_that_goes_away_is_reported_and_the_watcher_ends_on_stop(tmp_path, manager_mike):
    with dovecot(tmp_path) as imap:
        account = _account(manager_mike, imap)
    # The server is gone: the watcher cannot connect, writes the error and waits for its backoff.
    stop = threading.Event()
    timer = threading.Timer(2.0, stop.set)
    timer.start()
    account_watch(account_id=account.pk, stop=stop)
    timer.join()
    account.refresh_from_db()
    assert "Error" in account.last_error or "refused" in account.last_error.lower()
