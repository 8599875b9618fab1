"""Where the time of one API ticket create goes, in-process (Django test Client, no gunicorn):
wall time per create, the SQL statements with their time, and optionally a cProfile of the view.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench .venv/bin/python bench/create_profile.py --profile
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import time

from _setup import django_setup


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--creates", type=int, default=30)
    p.add_argument("--profile", action="store_true", help="also print the kefu functions of a cProfile run")
    args = p.parse_args()
    django_setup()
    from api_create import payload
    from django.db import connection
    from django.test import Client

    from kefu.accounts.models import User
    from kefu.accounts.services import api_token_create

    _row, token = api_token_create(user=User.objects.get(username="bench_agent1"), name="bench")
    client = Client(headers={"authorization": f"Bearer {token}"})
    rnd = random.Random(11)

    def create(i: int) -> None:
        r = client.post("/api/v1/tickets/", payload(rnd, i), content_type="application/json")
        assert r.status_code == 201, r.content[:300]

    for i in range(10):
        create(i)
    per_sql: dict[str, list[float]] = {}
    db = 0.0

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        nonlocal db
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            ms = (time.perf_counter() - started) * 1000
            db += ms
            key = "SAVEPOINT / RELEASE" if "SAVEPOINT" in sql else sql[:100]
            per_sql.setdefault(key, []).append(ms)

    n = args.creates
    started = time.perf_counter()
    with connection.execute_wrapper(wrapper):
        for i in range(n):
            create(100 + i)
    wall = (time.perf_counter() - started) * 1000 / n
    statements = sum(len(v) for v in per_sql.values()) / n
    print(f"per create: {wall:.1f} ms wall, {db / n:.1f} ms in {statements:.1f} SQL statements")
    for key, times in sorted(per_sql.items(), key=lambda kv: -sum(kv[1])):
        print(f"{len(times) / n:5.1f}x {sum(times) / n:6.2f} ms  {key}")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for i in range(n):
            create(1000 + i)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumtime").print_stats(r"kefu/", 25)


if __name__ == "__main__":
    main()
