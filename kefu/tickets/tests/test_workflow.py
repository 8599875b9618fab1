from __future__ import annotations

import pytest

from kefu.tickets.choices import TicketStatus as S
from kefu.tickets.workflow import (
    TRANSITIONS,
    allowed_targets,
    can_transition,
    status_after_customer_reply,
    status_after_staff_reply,
)


def test_every_status_has_transitions_and_no_self_loops():
    assert set(TRANSITIONS) == set(S.values)
    for source, targets in TRANSITIONS.items():
        assert source not in targets


@pytest.mark.parametrize(
    ("a", "b", "ok"),
    [
        (S.NEW, S.ASSIGNED, True), (S.NEW, S.RESOLVED, True), (S.ASSIGNED, S.IN_PROGRESS, True),
        (S.IN_PROGRESS, S.PENDING_CUSTOMER, True), (S.PENDING_CUSTOMER, S.IN_PROGRESS, True),
        (S.RESOLVED, S.CLOSED, True), (S.RESOLVED, S.IN_PROGRESS, True), (S.CLOSED, S.IN_PROGRESS, True),
        (S.CLOSED, S.RESOLVED, False), (S.RESOLVED, S.PENDING_CUSTOMER, False), (S.CLOSED, S.NEW, False),
        (S.PENDING_CUSTOMER, S.NEW, False), (S.IN_PROGRESS, S.NEW, False),
    ],
)
def test_can_transition(a, b, ok):
    assert can_transition(a, b) is ok


@pytest.mark.parametrize(
    ("current", "staff", "customer"),
    [
        (S.NEW, S.IN_PROGRESS, S.NEW), (S.ASSIGNED, S.IN_PROGRESS, S.ASSIGNED),
        (S.IN_PROGRESS, S.IN_PROGRESS, S.IN_PROGRESS), (S.PENDING_CUSTOMER, S.PENDING_CUSTOMER, S.IN_PROGRESS),
        (S.RESOLVED, S.RESOLVED, S.IN_PROGRESS), (S.CLOSED, S.CLOSED, S.IN_PROGRESS),
    ],
)
def test_reply_effects(current, staff, customer):
    assert status_after_staff_reply(current) == staff
    assert status_after_customer_reply(current) == customer


def test_allowed_targets_in_display_order():
    assert allowed_targets(S.RESOLVED) == [S.IN_PROGRESS, S.CLOSED]
