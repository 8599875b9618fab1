from __future__ import annotations

from django.db import IntegrityError, OperationalError
from django.test import RequestFactory

from kefu.core.dbretry import connection_lost, may_run_again


def test_only_reads_and_keyed_creates_run_again() -> None:
    rf = RequestFactory()
    assert may_run_again(rf.get("/api/v1/tickets/"))
    assert may_run_again(rf.post("/api/v1/tickets/", headers={"Idempotency-Key": "k1"}))
    assert not may_run_again(rf.post("/api/v1/tickets/"))  # no key: a second run could make a second ticket
    assert not may_run_again(rf.post("/api/v1/tickets/GD1/messages", headers={"Idempotency-Key": "k1"}))
    assert not may_run_again(rf.patch("/api/v1/tickets/GD1", headers={"Idempotency-Key": "k1"}))


def test_other_database_errors_are_not_a_lost_connection(db) -> None:
    # inside the test's transaction nothing counts as lost; and an integrity error never does
    assert not connection_lost(IntegrityError("duplicate key"))
    assert not connection_lost(OperationalError("terminating connection due to administrator command"))
