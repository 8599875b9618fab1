"""Configuration tokens: one statement for all of them, kept per request or block, dropped on edit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.core import tokens
from kefu.dispatch.config import rules_changed
from kefu.sla.config import sla_config_changed

pytestmark = pytest.mark.django_db


def test_every_token_in_one_statement_and_read_afresh_outside_a_request() -> None:
    with CaptureQueriesContext(connection) as ctx:
        first = tokens.values()
        tokens.values()
    assert {"sla", "dispatch", "dispatch.robot"} <= set(first)
    assert len(ctx.captured_queries) == 2  # nothing is kept outside a request or a kept() block


def test_kept_inside_a_request_and_dropped_by_an_edit_in_it() -> None:
    # What the request_started / request_finished receivers do (sending the signals themselves
    # would also close the test's database connection).
    tokens._request_started()
    try:
        with CaptureQueriesContext(connection) as ctx:
            before = tokens.value("sla")
            assert tokens.value("dispatch") == tokens.values()["dispatch"]
        assert len(ctx.captured_queries) == 1
        sla_config_changed()  # the editing request sees its own edit at once
        after = tokens.value("sla")
        assert after != before
        rules_changed()
        with CaptureQueriesContext(connection) as ctx:
            tokens.value("dispatch")
        assert len(ctx.captured_queries) == 1
    finally:
        tokens._request_finished()
    with CaptureQueriesContext(connection) as ctx:
        tokens.value("sla")
    assert len(ctx.captured_queries) == 1  # the request ended: read again


def test_kept_block_reads_once_and_nests() -> None:
    with CaptureQueriesContext(connection) as ctx, tokens.kept():
        tokens.value("sla")
        with tokens.kept():
            tokens.value("dispatch")
        tokens.value("dispatch.robot")
    assert len(ctx.captured_queries) == 1
