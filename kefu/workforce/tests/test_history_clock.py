"""The clock job that counts the system's own tickets into a queue's contact history."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from kefu.core.clock import load_jobs, run_pass
from kefu.tests.factories import TicketFactory
from kefu.tickets.choices import Channel
from kefu.tickets.models import Ticket
from kefu.workforce import planning, services
from kefu.workforce.choices import HistorySource
from kefu.workforce.models import IntervalVolume, Queue

# Monday 2025-03-03 10:00 in Asia/Shanghai.
T0 = datetime(2025, 3, 3, 10, 0, tzinfo=planning.tz())


def _ticket(actor, at: datetime, **kw) -> Ticket:
    with time_machine.travel(at, tick=False):
        return TicketFactory(actor=actor, **kw)


def _volumes(queue: Queue) -> dict[str, float]:
    return {
        f"{v.start.astimezone(planning.tz()):%m-%d %H:%M}": v.calls
        for v in IntervalVolume.objects.filter(queue=queue).order_by("start")
    }


def _job():
    return next(j for j in load_jobs() if j.name == "workforce_history")


def _catch_up(now: datetime) -> int:
    """Run the clock until nothing is due (a first run back-fills HISTORY_DAYS in chunks)."""
    runs = 0
    while run_pass(job_list=[_job()], now=now).handled:
        runs += 1
        assert runs < 30
    return runs


@pytest.fixture
def phone_queue(manager_mike, front_team):
    with time_machine.travel(T0 - timedelta(days=1), tick=False):
        return services.queue_create(
            actor=manager_mike, name="热线", team=front_team, channels=[Channel.PHONE],
            interval_minutes=30, default_aht=240, count_tickets=True,
        )  # fmt: skip


def test_counts_tickets_per_interval_by_channel_and_team(
    phone_queue, agent_alice, front_team, aftersales_team
):
    for minutes in (1, 10, 29, 31):
        _ticket(agent_alice, T0 + timedelta(minutes=minutes), channel=Channel.PHONE, team=front_team)
    _ticket(agent_alice, T0 + timedelta(minutes=5), channel=Channel.WECHAT, team=front_team)  # other channel
    _ticket(agent_alice, T0 + timedelta(minutes=5), channel=Channel.PHONE, team=aftersales_team)  # other team
    assert _catch_up(T0 + timedelta(hours=1, minutes=2)) > 1
    assert _volumes(phone_queue) == {"03-03 10:00": 3, "03-03 10:30": 1}
    row = IntervalVolume.objects.get(queue=phone_queue, start=T0)
    assert row.handle_seconds == 3 * 240 and row.source == HistorySource.TICKETS
    phone_queue.refresh_from_db()
    # Counted the closed intervals only: the watermark is the start of the current interval.
    assert phone_queue.history_counted_until == T0 + timedelta(hours=1)
    assert phone_queue.history_due_at == T0 + timedelta(hours=1, minutes=2) + services.HISTORY_REFRESH_EVERY


def test_incremental_idempotent_and_catches_late_commits(phone_queue, agent_alice, front_team):
    _ticket(agent_alice, T0 + timedelta(minutes=5), channel=Channel.PHONE, team=front_team)
    now = T0 + timedelta(minutes=40)
    _catch_up(now)
    assert _volumes(phone_queue) == {"03-03 10:00": 1}
    # Not due again before HISTORY_REFRESH_EVERY: a second pass at the same moment does nothing.
    assert run_pass(job_list=[_job()], now=now).seen == 0
    # A ticket stamped just before the watermark but committed after the last run (a long transaction), and one
    # in the new interval: the next run recounts the last minutes, so both are counted, neither twice.
    _ticket(agent_alice, T0 + timedelta(minutes=29, seconds=59), channel=Channel.PHONE, team=front_team)
    _ticket(agent_alice, T0 + timedelta(minutes=45), channel=Channel.PHONE, team=front_team)
    later = T0 + timedelta(hours=1, minutes=10)
    assert run_pass(job_list=[_job()], now=later).handled == 1
    assert _volumes(phone_queue) == {"03-03 10:00": 2, "03-03 10:30": 1}
    # Running the same range again writes the same rows (idempotent), and a ticket that is gone loses its count.
    Ticket.objects.filter(created_at=T0 + timedelta(minutes=45)).delete()
    services.history_refresh_from_tickets(
        actor=None, queue_id=phone_queue.pk, since=T0, until=T0 + timedelta(hours=1)
    )
    assert _volumes(phone_queue) == {"03-03 10:00": 2}


def test_first_run_backfills_in_chunks_and_leaves_imports_alone(phone_queue, agent_alice, front_team):
    old = T0 - timedelta(days=20, hours=1)  # three weeks back: needs several chunks
    _ticket(agent_alice, old, channel=Channel.PHONE, team=front_team)
    _ticket(agent_alice, T0 + timedelta(minutes=3), channel=Channel.PHONE, team=front_team)
    IntervalVolume.objects.create(
        queue=phone_queue, start=T0, calls=50, handle_seconds=5000, source=HistorySource.IMPORT
    )
    now = T0 + timedelta(minutes=45)
    runs = _catch_up(now)
    # HISTORY_DAYS back in HISTORY_CHUNK pieces, each run due again at once until it caught up.
    assert runs == -(-(planning.HISTORY_DAYS + 1) // services.HISTORY_CHUNK.days)
    phone_queue.refresh_from_db()
    assert phone_queue.history_counted_until == T0 + timedelta(minutes=30)
    assert phone_queue.history_due_at == now + services.HISTORY_REFRESH_EVERY
    volumes = _volumes(phone_queue)
    assert volumes[f"{old:%m-%d} 09:00"] == 1
    assert volumes["03-03 10:00"] == 50  # the import is the truth for its interval
    assert IntervalVolume.objects.filter(queue=phone_queue, source=HistorySource.TICKETS).count() == 1


def test_switching_off_stops_the_clock_and_a_changed_mapping_recounts(
    phone_queue, manager_mike, agent_alice, front_team
):
    _ticket(agent_alice, T0 + timedelta(minutes=5), channel=Channel.WECHAT, team=front_team)
    now = T0 + timedelta(minutes=40)
    _catch_up(now)
    assert _volumes(phone_queue) == {}
    # Another channel mapping: the history is counted again from the start.
    with time_machine.travel(now, tick=False):
        services.queue_update(actor=manager_mike, queue_id=phone_queue.pk, channels=[Channel.WECHAT])
    phone_queue.refresh_from_db()
    assert phone_queue.history_counted_until is None and phone_queue.history_due_at == now
    _catch_up(now)
    assert _volumes(phone_queue) == {"03-03 10:00": 1}
    # Saving unrelated settings does not recount.
    services.queue_update(
        actor=manager_mike, queue_id=phone_queue.pk, shrinkage=0.25, channels=[Channel.WECHAT]
    )
    phone_queue.refresh_from_db()
    assert phone_queue.history_counted_until == T0 + timedelta(minutes=30)
    services.queue_update(actor=manager_mike, queue_id=phone_queue.pk, count_tickets=False)
    phone_queue.refresh_from_db()
    assert phone_queue.history_due_at is None
    assert run_pass(job_list=[_job()], now=now + timedelta(days=1)).seen == 0


def test_a_claim_taken_by_another_clock_is_skipped(phone_queue):
    due = phone_queue.history_due_at
    assert services.history_refresh_due(queue_id=phone_queue.pk, due_at=due, now=T0) is True
    # The same due time again (a second clock that read the row before the first claimed it): no work.
    assert services.history_refresh_due(queue_id=phone_queue.pk, due_at=due, now=T0) is False


def test_the_job_is_registered():
    job = _job()
    assert job.model is Queue and job.due_field == "history_due_at"


def test_sparse_ticket_history_can_be_forecast(phone_queue, manager_mike, agent_alice, front_team):
    """A few tickets five weeks ago and none since: the backtest over the last 28 days has no contacts (WAPE 0/0),
    which must not end in a NaN the JSON column refuses."""
    for minutes in (0, 20, 70):
        _ticket(agent_alice, T0 - timedelta(weeks=5) + timedelta(minutes=minutes), team=front_team)
    _catch_up(T0)
    assert sum(_volumes(phone_queue).values()) == 3
    fc = services.forecast_create(actor=manager_mike, queue_id=phone_queue.pk, week_start=T0.date())
    fc.refresh_from_db()
    assert len(fc.calls) == 7 * 48 and all(v == v for v in fc.backtest_wape.values())  # no NaN stored
