"""Server time of an agent's queue page (/tickets/) and the API list, in-process (Django test Client:
URL routing, middleware, auth, the view, the queries and the template; no network, no gunicorn).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench \
        .venv/bin/python bench/queue_latency.py --requests 200

Prints, per case: p50/p95/p99 over --requests requests after --warmup, the query count of one
request, the time spent in the database per request (p50/p95, summed over its queries), and the
EXPLAIN ANALYZE of the main list query. Run it after each load step (10k, 100k, 1M) to see whether it stays flat.
"""

from __future__ import annotations

import argparse
import time

from _setup import QueryCounter, bench_cast, django_setup, machine_line, percentile, summary


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--agent", default="bench_agent1")
    p.add_argument("--no-explain", action="store_true")
    args = p.parse_args()
    django_setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from kefu.accounts.models import User
    from kefu.accounts.services import api_token_create
    from kefu.tickets.models import Ticket
    from kefu.tickets.selectors import SORTS, TicketFilter, ticket_filter_qs

    assert not settings.DEBUG, "run with DEBUG off (the production setting)"
    bench_cast()
    agent = User.objects.get(username=args.agent)
    manager = User.objects.get(username="bench_manager")
    n_tickets = Ticket.objects.count()
    print(f"# queue latency at {n_tickets} tickets ({connection.vendor}), agent={agent.username} team={agent.team}")
    print(f"# {machine_line()}")

    web = Client()
    web.force_login(agent)
    web_mgr = Client()
    web_mgr.force_login(manager)
    _row, token = api_token_create(user=agent, name="bench")
    _row, token_mgr = api_token_create(user=manager, name="bench")
    api = Client(headers={"authorization": f"Bearer {token}"})
    api_mgr = Client(headers={"authorization": f"Bearer {token_mgr}"})

    def second_page(client: Client, url: str) -> str:
        cursor = client.get(url + ("&" if "?" in url else "?") + "limit=25").json()["next_cursor"] if "/api/" in url else None
        return f"{url}&cursor={cursor}" if cursor else url

    cases = [
        ("queue page, mine (default tab)", web, "/tickets/"),
        ("queue page, team", web, "/tickets/?scope=team"),
        ("queue page, all statuses", web, "/tickets/?scope=team&status=any"),
        ("queue page, manager all", web_mgr, "/tickets/?scope=all"),
        ("API list, mine open", api, "/api/v1/tickets/?scope=mine&open=true&limit=25"),
        ("API list, team", api, "/api/v1/tickets/?scope=team&limit=25"),
        ("API list, manager all", api_mgr, "/api/v1/tickets/?scope=all&limit=25"),
    ]
    cases.append(("API list, manager all, page 2", api_mgr, second_page(api_mgr, "/api/v1/tickets/?scope=all&limit=25")))

    for name, client, url in cases:
        r = client.get(url)
        if r.status_code != 200:
            print(f"{name}: {url} -> HTTP {r.status_code}; skipped")
            continue
        for _ in range(args.warmup):
            client.get(url)
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            client.get(url)
        times, db_times = [], []
        for _ in range(args.requests):
            db = QueryCounter()
            with connection.execute_wrapper(db):
                t = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - t) * 1000)
            db_times.append(db.seconds * 1000)
        print(
            f"{name:36} {summary(times)} queries={counter.count} "
            f"db p50={percentile(db_times, 50):.1f}ms p95={percentile(db_times, 95):.1f}ms  GET {url}"
        )

    if connection.vendor == "postgresql" and not args.no_explain:
        for label, user, f in [
            ("agent, mine, open", agent, TicketFilter(scope="mine", open_only=True)),
            ("agent, team, open", agent, TicketFilter(scope="team", open_only=True)),
            ("manager, all, open", manager, TicketFilter(scope="all", open_only=True)),
            ("manager, all", manager, TicketFilter(scope="all")),
        ]:
            ordering = SORTS[f.sort]
            qs = ticket_filter_qs(user=user, f=f).order_by(*ordering)[:26]
            print(f"\n## EXPLAIN ANALYZE main list query: {label}\n{qs.explain(analyze=True, buffers=True)}")


if __name__ == "__main__":
    main()
