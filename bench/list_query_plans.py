"""EXPLAIN ANALYZE of the queue list queries with and without the partial "open" indexes of
tickets migration 0003 (dropped inside a transaction that is rolled back; PostgreSQL DDL is
transactional, so nothing changes). Median execution time of 5 runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench .venv/bin/python bench/list_query_plans.py
"""

from __future__ import annotations

from _setup import django_setup

OPEN_INDEXES = ("ticket_assignee_open_idx", "ticket_team_open_idx", "ticket_open_updated_idx")


class _Rollback(Exception):
    pass


def main() -> None:
    django_setup()
    from django.db import connection, transaction

    from kefu.accounts.models import User
    from kefu.tickets.models import Ticket
    from kefu.tickets.selectors import SORTS, TicketFilter, ticket_filter_qs

    agent = User.objects.get(username="bench_agent1")
    manager = User.objects.get(username="bench_manager")
    cases = [
        ("agent mine open", agent, TicketFilter(scope="mine", open_only=True)),
        ("agent team open", agent, TicketFilter(scope="team", open_only=True)),
        ("manager all open", manager, TicketFilter(scope="all", open_only=True)),
    ]
    n = Ticket.objects.count()

    def run(tag: str) -> None:
        for label, user, f in cases:
            times, plan = [], ""
            for _ in range(5):
                plan = ticket_filter_qs(user=user, f=f).order_by(*SORTS[f.sort])[:26].explain(analyze=True)
                times.append(float(plan.rsplit("Execution Time: ", 1)[1].split()[0]))
            used = sorted({w for w in plan.split() if w.startswith("ticket_") and w.endswith("_idx")})
            print(f"{n} {tag:7} {label:18} median of 5: {sorted(times)[2]:.2f} ms  {used}")

    run("with")
    try:
        with transaction.atomic():
            with connection.cursor() as cur:
                for name in OPEN_INDEXES:
                    cur.execute(f"DROP INDEX {name}")
            run("without")
            raise _Rollback
    except _Rollback:
        pass


if __name__ == "__main__":
    main()
