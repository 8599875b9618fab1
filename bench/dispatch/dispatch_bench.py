"""Dispatch benchmarks (issue 4): decision latency at scale, and load-balanced fairness over a day.

    Use a scratch database — this script MIGRATES it and ADDS rows:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench_dispatch .venv/bin/python bench/dispatch/dispatch_bench.py decide
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench_dispatch .venv/bin/python bench/dispatch/dispatch_bench.py fairness

`decide`: 500 agents in 20 load-balanced teams, 100,000 open tickets (about 150 assigned to every
agent plus the rest waiting in manual teams' queues). Then N new tickets are created the way the
hook will run (ticket_create, then dispatch_on_create in the same transaction); only the
dispatch_on_create call is timed: triage, routing, locks, load count, ticket_assign (with its SLA
recompute) and the DispatchDecision row. Also times one dispatch_team_queue drain.

`fairness`: one load-balanced team of 20 agents through a simulated 8-hour day: Poisson arrivals
(about 2,000 tickets), each agent works one ticket at a time (exponential handling times), agents
take breaks (away: untouched tickets go back and are re-dispatched). After every decision the
spread (max - min weighted open load among online agents, normal = 1, urgent = 2) is sampled.

Bench scaffolding (agents, the 100,000 existing tickets) is written with bulk_create; everything
timed goes through the services.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _setup import QueryCounter, django_setup, machine_line  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_staff(
    teams: int, per_team: int, prefix: str, *, capacity: int, mode: str = "load_balanced", fixed: bool = False
) -> tuple[list, list]:
    from django.contrib.auth.hashers import make_password

    from kefu.accounts.choices import Presence
    from kefu.accounts.models import Team, User

    stamp = "" if fixed else f"{int(time.time())}-"
    team_rows = [Team.objects.create(name=f"{prefix}{stamp}{i}", assignment_mode=mode) for i in range(teams)]
    password = make_password(None)
    users = [
        User(username=f"{prefix}{stamp}{i}-{j}", display_name=f"坐席{i}-{j}", team=team_rows[i], password=password,
             presence=Presence.ONLINE, capacity=capacity)
        for i in range(teams) for j in range(per_team)
    ]
    User.objects.bulk_create(users, batch_size=1000)
    return team_rows, list(User.objects.filter(team__in=team_rows).order_by("id"))


def vacuum() -> None:
    """After bulk loads: statistics and the visibility map, as autovacuum keeps them in production
    (without it the load count cannot use an index-only scan)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE tickets_ticket")
            cur.execute("VACUUM ANALYZE accounts_user")


def scaffold(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """500 agents in 20 load-balanced teams and 100,000 open tickets, made once and reused by later
    runs (teams bd-fixed-0 … bd-fixed-19; pass --fresh to add a new set)."""
    from django.utils import timezone

    from kefu.accounts.models import Team, User
    from kefu.tickets.choices import OPEN_STATUSES, PRIORITY_RANK, Priority, TicketStatus
    from kefu.tickets.models import Ticket

    teams = list(Team.objects.filter(name__startswith="bd-fixed-").order_by("id"))
    if teams and not args.fresh:
        agents = list(User.objects.filter(team__in=teams).order_by("id"))
        queue_team = Team.objects.get(name="bd-fixed-queue")
        teams = [t for t in teams if t.pk != queue_team.pk]
        # Back to the scaffold's state: drop what earlier runs added, restore capacities.
        t0 = time.perf_counter()
        gone, _by_model = Ticket.objects.filter(team__in=teams).exclude(title="bench").delete()
        User.objects.filter(team__in=teams).update(capacity=args.capacity, presence="online")
        vacuum()
        print(f"scaffold reset: {gone} rows of earlier runs deleted, VACUUM ANALYZE ({time.perf_counter() - t0:.1f}s)")
        print(f"scaffold reused: {Ticket.objects.filter(status__in=OPEN_STATUSES).count()} "
              f"open tickets, {len(agents)} agents in {len(teams)} teams")
        return teams, agents, queue_team
    prefix = "bd-fixed-" if not teams else "bd"
    teams, agents = make_staff(args.teams, args.agents // args.teams, prefix, capacity=args.capacity, fixed=not args.fresh)
    queue_team = Team.objects.create(
        name="bd-fixed-queue" if prefix == "bd-fixed-" else f"bench-queue-{int(time.time())}", assignment_mode="manual"
    )
    rng = random.Random(4)
    now = timezone.now()
    stamp = int(time.time() * 1000) % 10**9
    prios = list(Priority)
    made = 0
    t0 = time.perf_counter()
    batch: list[Ticket] = []
    for i in range(args.open_tickets):
        agent = agents[i % len(agents)] if i < args.assigned_per_agent * len(agents) else None
        prio = rng.choice(prios)
        batch.append(Ticket(
            number=f"BD{stamp}-{i}", title="bench", priority=prio, priority_rank=PRIORITY_RANK[prio],
            status=TicketStatus.IN_PROGRESS if agent else TicketStatus.NEW, assignee=agent,
            team=agent.team if agent else queue_team, created_at=now, updated_at=now,
        ))
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            made += len(batch)
            batch = []
    Ticket.objects.bulk_create(batch)
    made += len(batch)
    vacuum()
    print(f"scaffold: {made} open tickets, {len(agents)} agents in {len(teams)} teams ({time.perf_counter() - t0:.1f}s)")
    return teams, agents, queue_team


def profile_decisions(n: int, lead, texts: list[str], *, show_sql: bool) -> None:  # type: ignore[no-untyped-def]
    """cProfile of `n` dispatch_on_create calls, and the SQL of the last one."""
    import cProfile
    import pstats

    from django.db import connection, transaction

    from kefu.dispatch.services import dispatch_on_create
    from kefu.tickets.services import TicketInput, ticket_create

    prof = cProfile.Profile()
    sql: list[str] = []

    def log(execute, q, params, many, context):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return execute(q, params, many, context)
        finally:
            sql.append(f"{(time.perf_counter() - t) * 1000:6.2f} ms  {q[:160]}")

    for i in range(n):
        with transaction.atomic():
            ticket = ticket_create(actor=lead, data=TicketInput(title=texts[i % len(texts)]))
            sql.clear()
            with connection.execute_wrapper(log):
                prof.enable()
                dispatch_on_create(ticket_id=ticket.pk, ticket=ticket)
                prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(os.environ.get("PROF_FILTER", ""), 35)
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    if show_sql:
        print(f"SQL of the last decision ({len(sql)} statements):")
        print("\n".join(sql))


def decide(args: argparse.Namespace) -> None:
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from kefu.accounts.models import Team, User
    from kefu.dispatch.services import dispatch_on_create, dispatch_team_queue, rules_install_defaults
    from kefu.tickets.choices import TicketStatus
    from kefu.tickets.models import Ticket
    from kefu.tickets.services import TicketInput, ticket_create

    migrate()
    rules_install_defaults()
    # ticket_create runs the hook itself when KEFU_AUTO_DISPATCH is on: switch it off and call
    # dispatch_on_create right after, in the same transaction, so that only the dispatch is timed.
    settings.KEFU_AUTO_DISPATCH = False
    teams, agents, _queue_team = scaffold(args)
    if not Team.objects.filter(pk=teams[0].pk, is_default=True).exists():
        # The bench's new tickets go to the default team: make the first bench team the default.
        Team.objects.filter(is_default=True).update(is_default=False)
        Team.objects.filter(pk=teams[0].pk).update(is_default=True)
    now = timezone.now()
    stamp = int(time.time() * 1000) % 10**9
    lead = User.objects.filter(role="team_lead").first() or agents[0]
    texts = ["宽带无法上网", "退款不到账怎么办", "咨询套餐", "我要去12315投诉", "发票开错了"]
    # Time the ticket services dispatch calls (ticket_assign with its SLA recompute, and
    # ticket_change_priority when a rule raises the priority) separately from the decision itself.
    import kefu.tickets.services as ticket_services

    inner = [0.0]

    def timed(fn):  # type: ignore[no-untyped-def]
        def wrapper(*a, **kw):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                inner[0] += time.perf_counter() - t
        return wrapper

    ticket_services.ticket_assign = timed(ticket_services.ticket_assign)
    ticket_services.ticket_change_priority = timed(ticket_services.ticket_change_priority)
    timings: list[float] = []
    core: list[float] = []
    queries: list[int] = []
    cpu: list[float] = []  # this process's CPU time (Python, driver), without the server's
    outcomes: Counter[str] = Counter()
    counter = QueryCounter()
    total_t0 = time.perf_counter()
    for i in range(args.decisions):
        with transaction.atomic():
            ticket = ticket_create(actor=lead, data=TicketInput(title=texts[i % len(texts)]))
            inner[0] = 0.0
            counter.count = 0
            with connection.execute_wrapper(counter):
                c0, d0 = time.process_time(), time.perf_counter()
                decision = dispatch_on_create(ticket_id=ticket.pk, ticket=ticket)
                spent = time.perf_counter() - d0
                cpu.append((time.process_time() - c0) * 1000)
            timings.append(spent * 1000)
            core.append((spent - inner[0]) * 1000)
            queries.append(counter.count)
            outcomes[decision.outcome if decision is not None else "FAILED (see log)"] += 1
    wall = time.perf_counter() - total_t0
    ms, cms = timings[args.warmup:], core[args.warmup:]
    print(f"outcomes: {dict(outcomes)}; queries per dispatch_on_create: median {statistics.median(queries):.0f}")
    print(f"dispatch_on_create, whole: n={len(ms)} p50={pct(ms, 50):.2f} ms p95={pct(ms, 95):.2f} ms "
          f"p99={pct(ms, 99):.2f} ms mean={statistics.mean(ms):.2f} ms -> {1000 / statistics.mean(ms):.0f} decisions/s")
    print(f"  decision without ticket_assign/ticket_change_priority (triage, route, locks, loads, choice, "
          f"decision row): p50={pct(cms, 50):.2f} ms p95={pct(cms, 95):.2f} ms p99={pct(cms, 99):.2f} ms "
          f"-> {1000 / statistics.mean(cms):.0f} decisions/s")
    print(f"  create+dispatch end to end: {len(timings) / wall:.0f} tickets/s; client CPU per dispatch_on_create "
          f"p50={pct(cpu[args.warmup:], 50):.2f} ms (Python and driver, whole call)")
    if args.profile:
        profile_decisions(args.profile, lead, texts, show_sql=args.show_sql)
    # One drain: a team's agents freed, its queue refilled.
    team = teams[1]
    Ticket.objects.filter(team=team, status=TicketStatus.NEW).delete()
    Ticket.objects.bulk_create([
        Ticket(number=f"BQ{stamp}-{i}", title="queued", team=team, created_at=now, updated_at=now)
        for i in range(args.drain)
    ])
    User.objects.filter(team=team).update(capacity=args.capacity + args.drain)
    d0 = time.perf_counter()
    decisions = dispatch_team_queue(team)
    spent = time.perf_counter() - d0
    print(f"dispatch_team_queue: {len(decisions)} tickets handed out in {spent * 1000:.0f} ms "
          f"({spent * 1000 / max(len(decisions), 1):.2f} ms per ticket)")


def fairness(args: argparse.Namespace) -> None:
    import heapq

    from django.conf import settings
    from django.db import transaction
    from django.db.models import Count, Sum

    from kefu.accounts.choices import Presence
    from kefu.accounts.models import Team, User
    from kefu.accounts.services import user_set_presence
    from kefu.dispatch.services import dispatch_on_create, dispatch_on_presence_change, dispatch_team_queue
    from kefu.tickets.choices import OPEN_STATUSES, MessageKind, TicketStatus
    from kefu.tickets.models import Ticket
    from kefu.tickets.services import TicketInput, ticket_add_message, ticket_change_status, ticket_create

    migrate()
    # The simulation calls every dispatch entry point itself (as the hooks would).
    settings.KEFU_AUTO_DISPATCH = False
    rng = random.Random(7)
    [team], agents = make_staff(1, args.agents, "bf", capacity=args.capacity)
    Team.objects.filter(is_default=True).update(is_default=False)
    Team.objects.filter(pk=team.pk).update(is_default=True)
    team.refresh_from_db()
    lead = agents[0]
    day = args.hours * 60.0  # minutes
    events: list[tuple[float, int, str, int]] = []  # (minute, seq, kind, id)
    seq = 0

    def push(at: float, kind: str, ident: int) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (at, seq, kind, ident))

    t = 0.0
    rate = args.tickets / day
    while t < day:
        t += rng.expovariate(rate)
        push(t, "arrive", 0)
    for a in agents:  # two 15-minute breaks per agent
        for start in (rng.uniform(60, 200), rng.uniform(260, day - 30)):
            push(start, "away", a.pk)
            push(start + 15, "back", a.pk)
    spreads: list[float] = []
    working: dict[int, int] = {}  # agent -> ticket being worked
    prios = ["low", "normal", "normal", "normal", "high", "urgent"]

    def spread() -> float:
        online = list(User.objects.filter(team=team, presence=Presence.ONLINE).values_list("pk", flat=True))
        if len(online) < 2:
            return 0.0
        loads = dict(Ticket.objects.filter(assignee_id__in=online, status__in=OPEN_STATUSES)
                     .values_list("assignee_id").annotate(w=Sum("priority_rank")).order_by())
        values = [loads.get(u, 0) / 2 for u in online]
        return max(values) - min(values)

    def start_work(agent: User, now: float) -> None:
        if agent.pk in working or agent.presence != Presence.ONLINE:
            return
        nxt = (Ticket.objects.filter(assignee=agent, status__in=[TicketStatus.ASSIGNED])
               .order_by("-priority_rank", "created_at").first())
        if nxt is None:
            return
        ticket_add_message(actor=agent, number=nxt.number, kind=MessageKind.REPLY, body="您好，正在处理")
        working[agent.pk] = nxt.pk
        push(now + rng.expovariate(1 / args.handle_minutes), "done", agent.pk)

    by_id = {a.pk: a for a in agents}
    decisions = 0
    t0 = time.perf_counter()
    while events:
        now, _s, kind, ident = heapq.heappop(events)
        if kind == "arrive":
            with transaction.atomic():
                ticket = ticket_create(actor=lead, data=TicketInput(title="模拟工单", priority=rng.choice(prios)))
                d = dispatch_on_create(ticket_id=ticket.pk)
            decisions += 1
            if d is not None and d.chosen_id:
                by_id[d.chosen_id].refresh_from_db()
                start_work(by_id[d.chosen_id], now)
        elif kind == "done":
            agent = by_id[ident]
            tid = working.pop(agent.pk, None)
            if tid is not None:
                number = Ticket.objects.get(pk=tid).number
                ticket_change_status(actor=agent, number=number, status=TicketStatus.RESOLVED)
                for d in dispatch_team_queue(team):
                    decisions += 1
                    start_work(by_id[d.chosen_id], now)
            agent.refresh_from_db()
            start_work(agent, now)
        elif kind in ("away", "back"):
            agent = by_id[ident]
            user_set_presence(actor=agent, user=agent, presence=Presence.AWAY if kind == "away" else Presence.ONLINE)
            for d in dispatch_on_presence_change(user=agent):
                decisions += 1
                if d.chosen_id:
                    by_id[d.chosen_id].refresh_from_db()
                    start_work(by_id[d.chosen_id], now)
            agent.refresh_from_db()
            start_work(agent, now)
        if kind in ("arrive", "done"):
            spreads.append(spread())
    within = sum(1 for s in spreads if s <= 2) / max(len(spreads), 1)
    total = Ticket.objects.filter(team=team).count()
    print(f"fairness: {total} tickets, {decisions} decisions, {args.agents} agents, {args.hours} h simulated "
          f"({time.perf_counter() - t0:.0f}s wall)")
    print(f"spread of weighted open load among online agents after each arrival/completion: "
          f"p50={pct(spreads, 50):.1f} p95={pct(spreads, 95):.1f} max={max(spreads):.1f}; within 2: {within:.1%}")
    leftover = Ticket.objects.filter(team=team, assignee__isnull=True, status__in=OPEN_STATUSES).count()
    per_agent = list(Ticket.objects.filter(team=team).values("assignee_id").annotate(n=Count("id")).order_by("n"))
    counts = [r["n"] for r in per_agent if r["assignee_id"]]
    print(f"tickets handled per agent: min={min(counts)} max={max(counts)}; left in queue: {leftover}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("decide")
    p.add_argument("--agents", type=int, default=500)
    p.add_argument("--teams", type=int, default=20)
    p.add_argument("--capacity", type=int, default=200)
    p.add_argument("--open-tickets", type=int, default=100_000)
    p.add_argument("--assigned-per-agent", type=int, default=150)
    p.add_argument("--decisions", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--drain", type=int, default=200)
    p.add_argument("--fresh", action="store_true", help="add a new scaffold instead of reusing bd-fixed-*")
    p.add_argument("--profile", type=int, default=0, help="then cProfile this many decisions")
    p.add_argument("--show-sql", action="store_true", help="with --profile: print the SQL of one decision")
    f = sub.add_parser("fairness")
    f.add_argument("--agents", type=int, default=20)
    f.add_argument("--capacity", type=int, default=8)
    f.add_argument("--tickets", type=int, default=2000)
    f.add_argument("--hours", type=float, default=8)
    f.add_argument("--handle-minutes", type=float, default=4.0)
    args = parser.parse_args()
    django_setup()
    print(machine_line())
    {"decide": decide, "fairness": fairness}[args.cmd](args)
    print(machine_line())


if __name__ == "__main__":
    main()
