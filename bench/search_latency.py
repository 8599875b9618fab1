"""Search latency by ticket number, phone and Chinese words, through the selector
(ticket_list_visible_to with TicketFilter(q=...), first page of 25) and through the API
(GET /api/v1/tickets/?q=..., in-process test Client), plus the EXPLAIN of each kind of query.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench \
        .venv/bin/python bench/search_latency.py --samples 50 --rounds 3

Numbers and phones are sampled from the table (--samples distinct values, each searched --rounds
times); each word is searched --word-repeats x --rounds times. The manager sees every ticket; the agent's
searches also carry the visibility filter (team, owner or assignee).
"""

from __future__ import annotations

import argparse
import random
import time
from urllib.parse import quote

from _setup import QueryCounter, bench_cast, django_setup, machine_line, summary

WORDS = [
    ("光猫", "one topic in 16 (~6% of tickets)"),
    ("退款", "one topic in 16, plus replies"),
    ("格力 漏水", "two words, both required (~0.6%)"),
    ("夜间客服", "one topic (~6%), a compound word"),
    ("保险理赔", "no ticket has it"),
]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", type=int, default=50)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--word-repeats", type=int, default=20, help="searches per word and round")
    p.add_argument("--no-explain", action="store_true")
    args = p.parse_args()
    django_setup()
    from django.db import connection
    from django.test import Client

    from kefu.accounts.models import User
    from kefu.accounts.services import api_token_create
    from kefu.customers.models import CustomerPhone
    from kefu.tickets.models import Ticket
    from kefu.tickets.selectors import SORTS, TicketFilter, ticket_filter_qs, ticket_list_visible_to

    bench_cast()
    manager = User.objects.get(username="bench_manager")
    agent = User.objects.get(username="bench_agent1")
    n = Ticket.objects.count()
    variant = "current search_q"
    print(f"# search latency at {n} tickets ({connection.vendor}), {variant}\n# {machine_line()}")
    rnd = random.Random(1)
    max_id = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ids = [rnd.randint(1, max_id) for _ in range(args.samples * 3)]
    numbers = list(Ticket.objects.filter(id__in=ids).values_list("number", flat=True)[: args.samples])
    max_phone = CustomerPhone.objects.order_by("-id").values_list("id", flat=True).first() or 0
    pids = [rnd.randint(1, max_phone) for _ in range(args.samples * 3)]
    phones = list(CustomerPhone.objects.filter(id__in=pids).values_list("number", flat=True)[: args.samples])

    kinds: list[tuple[str, list[str]]] = [("number", numbers), ("phone", phones)]
    kinds += [(f"word {w!r} ({why})", [w] * args.word_repeats) for w, why in WORDS]

    _row, token = api_token_create(user=manager, name="bench")
    api = Client(headers={"authorization": f"Bearer {token}"})
    for label, queries in kinds:
        for who, user in (("manager", manager), ("agent", agent)):
            list(ticket_list_visible_to(user=user, f=TicketFilter(q=queries[0])).items)  # warm
            times, hits = [], []
            for _ in range(args.rounds):
                for q in queries:
                    t = time.perf_counter()
                    page = ticket_list_visible_to(user=user, f=TicketFilter(q=q), limit=25)
                    items = list(page.items)
                    times.append((time.perf_counter() - t) * 1000)
                    hits.append(len(items))
            print(f"selector {who:7} {label:50} {summary(times)} hits/page avg={sum(hits) / len(hits):.1f}")
        times = []
        api.get(f"/api/v1/tickets/?scope=all&q={quote(queries[0])}")
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            r = api.get(f"/api/v1/tickets/?scope=all&q={quote(queries[0])}")
        assert r.status_code == 200, r.content[:300]
        for _ in range(args.rounds):
            for q in queries:
                t = time.perf_counter()
                api.get(f"/api/v1/tickets/?scope=all&q={quote(q)}&limit=25")
                times.append((time.perf_counter() - t) * 1000)
        print(f"API      manager {label:50} {summary(times)} queries={counter.count}")

    if connection.vendor == "postgresql" and not args.no_explain:
        for label, q in [("number", numbers[0]), ("phone", phones[0])] + [(f"word {w}", w) for w, _ in WORDS]:
            f = TicketFilter(q=q)
            for who, user in (("manager", manager), ("agent", agent)):
                qs = ticket_filter_qs(user=user, f=f).order_by(*SORTS[f.sort])[:26]
                plan = qs.explain(analyze=True)
                used = sorted({w.strip('"') for line in plan.splitlines() for w in line.split() if w.endswith(("_idx", "_gin", "_key", "_pkey", "_like", "_uniq")) or "_customer_id_" in w})
                exec_ms = next((line for line in plan.splitlines() if line.startswith("Execution Time")), "")
                print(f"\n## EXPLAIN ANALYZE {label} as {who}: indexes {used}; {exec_ms}\n{plan}")


if __name__ == "__main__":
    main()
