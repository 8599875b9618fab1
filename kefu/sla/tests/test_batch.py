"""The clock's batch path: `sla_fire_due` and the `Batched` handler (kefu/sla/clock.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError
from django.utils.translation import gettext

from kefu.core.clock import run_pass
from kefu.sla.choices import SlaEventKind
from kefu.sla.clock import Batched
from kefu.sla.models import Notification, SlaEvent, SlaPolicy, TicketSla
from kefu.sla.services import sla_fire_breach, sla_fire_due, sla_fire_warning, sla_recompute_many
from kefu.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def _tickets(n: int, **kw):
    with time_machine.travel(t("2026-03-10 09:00"), tick=False):
        tickets = [TicketFactory(title=f"批量{i}", **kw) for i in range(n)]
        sla_recompute_many([x.pk for x in tickets])
    return tickets


def _first_response_only() -> None:
    SlaPolicy.objects.filter(is_default=True).update(
        dispatch_minutes=None, next_response_minutes=None, resolution_minutes=None
    )
    from kefu.sla.config import sla_config_changed

    sla_config_changed()


def test_fire_due_warnings_once_with_notifications_and_late(agent_alice, front_team, lead_linda):
    _first_response_only()
    mine = _tickets(3, actor=agent_alice, assignee=agent_alice)
    unassigned = _tickets(2, actor=agent_alice, team=front_team)
    # One target with a single warning: after the batch its next warning is NULL, the others' a time
    # (one CASE mixing both, typed right on PostgreSQL).
    single = TicketSla.objects.get(ticket=unassigned[0])
    single.moments = {**single.moments, "warn": single.moments["warn"][:1]}
    single.save(update_fields=["moments"])
    # First response 120 min: warning 1 (50 %) due 10:00. Fired at 10:05: late (> 2 min).
    fired = sla_fire_due(kind=SlaEventKind.WARNING, now=t("2026-03-10 10:05"))
    assert len(fired) == 5 and set(fired.values()) == {t("2026-03-10 10:00")}
    events = SlaEvent.objects.filter(kind=SlaEventKind.WARNING)
    assert sorted(events.values_list("level", "late", "data")) == [(1, True, {"share": 50})] * 5
    assert Notification.objects.filter(user=agent_alice).count() == 3
    assert Notification.objects.filter(user=lead_linda, ticket__in=unassigned).count() == 2
    assert all(n.title.endswith(gettext("(late)")) for n in Notification.objects.all())
    # Claimed: the next warning (80 %, 10:36) is now due, the first one is not fired again.
    assert set(TicketSla.objects.filter(ticket__in=mine).values_list("warnings_fired", "warn_due_at")) == {
        (1, t("2026-03-10 10:36"))
    }
    assert sla_fire_due(kind=SlaEventKind.WARNING, now=t("2026-03-10 10:05")) == {}
    row = TicketSla.objects.filter(ticket=mine[0]).get()
    assert sla_fire_warning(sla_id=row.pk, due_at=t("2026-03-10 10:00"), now=t("2026-03-10 10:06")) is False
    assert events.count() == 5
    # The last warning: nothing comes after it (a CASE of NULLs only, typed right on PostgreSQL).
    single.refresh_from_db()
    assert (single.warnings_fired, single.warn_due_at) == (1, None)
    assert len(sla_fire_due(kind=SlaEventKind.WARNING, now=t("2026-03-10 10:36"))) == 4
    assert set(TicketSla.objects.exclude(pk=single.pk).values_list("warnings_fired", "warn_due_at")) == {(2, None)}
    assert not SlaEvent.objects.filter(level=2).first().late


def test_fire_due_breach_leaves_rows_owing_warnings_to_the_one_row_path(agent_alice):
    _first_response_only()
    owing, clean = _tickets(2, actor=agent_alice, assignee=agent_alice)
    now = t("2026-03-10 11:30")  # breach due 11:00
    TicketSla.objects.filter(ticket=clean).update(warn_due_at=None, warnings_fired=2)
    fired = sla_fire_due(kind=SlaEventKind.BREACH, now=now, limit=10)
    clean_row = TicketSla.objects.get(ticket=clean)
    assert fired == {clean_row.pk: t("2026-03-10 11:00")}
    assert clean_row.state == "breached" and clean_row.breach_fired_at == now and clean_row.breach_due_at is None
    assert clean_row.escalation_due_at == t("2026-03-10 11:00")  # level 1 of the seeded policy: at breach
    owing_row = TicketSla.objects.get(ticket=owing)
    assert owing_row.breach_due_at is not None and owing_row.breach_fired_at is None
    assert sla_fire_breach(sla_id=owing_row.pk, due_at=owing_row.breach_due_at, now=now) is True
    assert list(SlaEvent.objects.filter(ticket=owing).values_list("kind", "level")) == [
        ("warning", 1), ("warning", 2), ("breach", 0)
    ]


def test_fire_due_refuses_other_kinds():
    with pytest.raises(ValueError):
        sla_fire_due(kind=SlaEventKind.ESCALATION)


def test_two_batched_handlers_fire_each_row_exactly_once(agent_alice):
    """Two clocks, interleaved row by row over the same due list: each warning fires once, and every
    row is reported as handled by exactly one of them."""
    _first_response_only()
    _tickets(12, actor=agent_alice, assignee=agent_alice)
    now = t("2026-03-10 10:01")
    rows = list(TicketSla.objects.order_by("warn_due_at", "pk").values_list("pk", "warn_due_at"))
    # Batches of 5, so the two take turns: each fires batches the other then finds claimed.
    one = Batched(SlaEventKind.WARNING, sla_fire_warning, limit=5)
    two = Batched(SlaEventKind.WARNING, sla_fire_warning, limit=5)
    claimed = {1: 0, 2: 0}
    for pk, due in rows:
        claimed[1] += one(pk, due, now)
        claimed[2] += two(pk, due, now)
    assert claimed[1] + claimed[2] == 12 and claimed[1] > 0 and claimed[2] > 0
    assert SlaEvent.objects.count() == 12
    assert set(TicketSla.objects.values_list("warnings_fired", flat=True)) == {1}


def test_batched_falls_back_to_one_row_when_the_batch_fails(agent_alice):
    """An SlaEvent that exists already (rows tampered with) makes the bulk insert fail: the batch
    rolls back whole and the rows go through the one-row service, which still claims them."""
    _first_response_only()
    first, second = _tickets(2, actor=agent_alice, assignee=agent_alice)
    now = t("2026-03-10 10:01")
    SlaEvent.objects.create(ticket=first, target="first_response", kind="warning", cycle=1, level=1,
                            moment=t("2026-03-10 10:00"), fired_at=now)
    with pytest.raises(IntegrityError):
        sla_fire_due(kind=SlaEventKind.WARNING, now=now)
    assert SlaEvent.objects.count() == 1  # nothing of the failed batch stayed
    handler = Batched(SlaEventKind.WARNING, sla_fire_warning)
    results = [handler(pk, due, now) for pk, due in
               TicketSla.objects.order_by("pk").values_list("pk", "warn_due_at")]
    assert results == [True, True]
    assert handler.paused_until > 0
    assert SlaEvent.objects.filter(ticket=second).count() == 1
    assert TicketSla.objects.get(ticket=first).warnings_fired == 1  # claimed despite the duplicate


def test_clock_pass_fires_a_large_sweep_in_batches(agent_alice, django_assert_max_num_queries):
    _first_response_only()
    _tickets(120, actor=agent_alice, assignee=agent_alice)
    now = t("2026-03-10 10:01")
    # 120 warnings: a few statements per batch of 50, not seven per fire.
    with django_assert_max_num_queries(60):
        result = run_pass(now=now)
    assert result.by_job.get("sla_warning") == 120
    assert SlaEvent.objects.filter(kind="warning", level=1).count() == 120
    assert run_pass(now=now + timedelta(seconds=1)).handled == 0
