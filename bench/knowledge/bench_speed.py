"""Search speed on PostgreSQL: 10,000 articles and cases plus the tickets already in the database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench .venv/bin/python manage.py migrate knowledge
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench .venv/bin/python bench/knowledge/bench_speed.py

Fills the knowledge tables up to --docs documents (half articles, half cases; a bulk path that writes
exactly what the services write: rows, SearchDoc tokens and SearchTerm document frequencies), then
times, in process (no network):
- search: kefu.knowledge.search.search() over articles, replies, cases and tickets, as a manager
  (sees every ticket: the widest query) and as an agent;
- index update: one ticket description change through kefu.tickets.services.ticket_update (the whole
  service with its commit, an upper bound for the index part) and one article edit through
  kefu.knowledge.services.article_update (new version, tokens, document frequencies, commit);
- suggestion panel: GET of the partial /knowledge/tickets/<number>/suggestions/ through Django's test
  client (view, access check, search, template).
Bounded: fixed numbers of iterations. Besides wall times, each line gives the mean CPU time per
operation of this process plus its PostgreSQL backend (read from /proc: local server only); on a
shared machine the wall times include waiting for a core, the CPU time does not.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from kefu.accounts.models import User  # noqa: E402
from kefu.knowledge import demo, lexicon  # noqa: E402
from kefu.knowledge import services as ks  # noqa: E402
from kefu.knowledge.choices import ArticleStatus, CaseStatus, DocKind  # noqa: E402
from kefu.knowledge.markup import plain_text, render_markdown  # noqa: E402
from kefu.knowledge.models import Article, Case, SearchDoc, SearchTerm  # noqa: E402
from kefu.knowledge.search import SearchFilter, search, suggestions_for_text  # noqa: E402
from kefu.tickets import selectors as ts  # noqa: E402
from kefu.tickets.models import Ticket  # noqa: E402
from kefu.tickets.selectors import TicketFilter, ticket_list_visible_to  # noqa: E402
from kefu.tickets.services import ticket_update  # noqa: E402

QUERIES = [
    "退款多久到账", "宽带无法上网", "光猫红灯", "发票抬头错了怎么重开", "快递丢件", "密码忘记了", "车辆异响",
    "七天无理由退货", "扣费异议", "实名认证失败", "注销账户", "物流延迟补偿", "服务态度投诉", "网速慢",
    "保养周期", "换货流程", "包裹破损", "手机信号差", "增值业务退订", "退钱", "账户冻结", "运费谁承担",
    "移机", "首保", "路由器掉线",
]


# The global ticket search box: words (common, rare, absent), a phrase whose bigrams look rarer
# together than they are (夜间客服), two words that never meet.
BOX = ["宽带", "夜间客服", "退款一直不到账", "退钱", "空调不制冷", "发票", "光猫 发票", "上海浦东新区", "重复扣费", "表扬"]
# Two words each in over 10% of the generated tickets (bench/load_tickets.py: 套餐 ~26%, 金额 ~13%)
# that never occur in the same one: multiplied as if independent they look like 34,000 matches.
NEVER_MEET = "套餐 金额"
# Two frequent words (each ~6%) typed apart that nearly always meet: multiplied they look rare (0.4%).
ALWAYS_MEET = "宽带 上网"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def fill(n_docs: int, owner: User) -> None:
    have = SearchDoc.objects.filter(kind__in=(DocKind.ARTICLE, DocKind.CASE)).count()
    if have >= n_docs:
        print(f"knowledge: {have} articles and cases already there")
        return
    rng = random.Random(6)
    now = timezone.now()
    sources = [(t, b) for _leaf, t, b, _p, _s in demo.ARTICLES]
    case_sources = [c[1:6] for c in demo.CASES]
    df: Counter[str] = Counter()
    t0 = time.perf_counter()
    with transaction.atomic():
        todo = n_docs - have
        for start in range(0, todo, 500):
            arts, cases = [], []
            for i in range(start, min(todo, start + 500)):
                if i % 2 == 0:
                    title, body = rng.choice(sources)
                    extra = rng.choice(sources)[1]
                    arts.append(Article(title=f"{title}（{i}）", body_md=body + "\n\n" + extra,
                                        body_html=render_markdown(body + "\n\n" + extra), owner=owner,
                                        status=ArticleStatus.PUBLISHED, created_at=now, updated_at=now, published_at=now))
                else:
                    title, sit, pol, res, les = rng.choice(case_sources)
                    cases.append(Case(title=f"{title}（{i}）", situation=sit, policy=pol, resolution=res, lessons=les,
                                      status=CaseStatus.PUBLISHED, created_by=owner, created_at=now, updated_at=now))
            docs = []
            for a in Article.objects.bulk_create(arts):
                toks = lexicon.doc_tokens(a.title) * 2 + lexicon.doc_tokens(plain_text(a.body_md))
                docs.append(SearchDoc(kind=DocKind.ARTICLE, object_id=a.pk, title=a.title, text=plain_text(a.body_md),
                                      tokens=" ".join(toks), length=len(toks), status=a.status, owner_id_ref=owner.pk,
                                      updated_at=now))
            for c in Case.objects.bulk_create(cases):
                text = " ".join(p for p in (c.situation, c.policy, c.resolution, c.lessons) if p)
                toks = lexicon.doc_tokens(c.title) * 2 + lexicon.doc_tokens(text)
                docs.append(SearchDoc(kind=DocKind.CASE, object_id=c.pk, title=c.title, text=text, tokens=" ".join(toks),
                                      length=len(toks), status=c.status, owner_id_ref=owner.pk, updated_at=now))
            for d in docs:
                df.update({t[:64] for t in d.tokens.split(" ") if t})
            SearchDoc.objects.bulk_create(docs)
        existing = dict(SearchTerm.objects.filter(term__in=list(df)).values_list("term", "df"))
        SearchTerm.objects.bulk_create([SearchTerm(term=t, df=n + existing.get(t, 0)) for t, n in df.items()],
                                       update_conflicts=True, unique_fields=["term"], update_fields=["df"])
    # Fresh rows: statistics for the planner, and the visibility map for index-only scans of the
    # postings (what autovacuum does on its own some time after a bulk load).
    with connection.cursor() as cur:
        for table in ("knowledge_searchdoc", "knowledge_searchposting", "knowledge_searchterm"):
            cur.execute(f"VACUUM ANALYZE {table}")
    print(f"knowledge: added {n_docs - have} articles and cases in {time.perf_counter() - t0:.0f} s")


def backend_cpu_ms() -> float:
    """CPU time used so far by this connection's PostgreSQL backend (local server only, else 0)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


_cpu: list[float] = []


def timed(fn, n: int) -> list[float]:  # noqa: ANN001
    """Wall times in ms; the mean CPU time per call (this process + its database backend) is left in
    _cpu for report(): on a shared machine it says what the wall time would be on a quiet one."""
    out = []
    cpu0, db0 = time.process_time(), backend_cpu_ms()
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    _cpu[:] = [((time.process_time() - cpu0) * 1000 + backend_cpu_ms() - db0) / n]
    return out


def report(name: str, ms: list[float]) -> None:
    print(f"{name:<44} n={len(ms):<4} p50 {statistics.median(ms):6.1f} ms  p95 {pct(ms, 95):6.1f} ms  "
          f"max {max(ms):6.1f} ms  cpu {_cpu[0] if _cpu else 0:5.1f} ms/op")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--docs", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=4, help="passes over the query list")
    a = p.parse_args()
    if connection.vendor != "postgresql":
        p.error("run against PostgreSQL: DATABASE_URL=postgres://...")
    manager = User.objects.filter(role__in=("manager", "admin"), is_active=True).order_by("id").first()
    agent = User.objects.filter(role="agent", is_active=True).order_by("id").first()
    assert manager and agent, "the bench database needs a manager and an agent"
    fill(a.docs, manager)
    print(f"tickets: {Ticket.objects.count():,}  knowledge docs: {SearchDoc.objects.count():,}  "
          f"load average: {os.getloadavg()}")
    lexicon.lexicon()
    queries = QUERIES * a.rounds
    box = BOX * a.rounds
    for q in QUERIES[:5]:  # warm caches
        search(user=manager, query=q)
    report("search, manager (all kinds incl. tickets)", timed(lambda i: search(user=manager, query=queries[i]), len(queries)))
    report("search, agent (all kinds incl. tickets)", timed(lambda i: search(user=agent, query=queries[i]), len(queries)))
    knowledge_only = SearchFilter(kinds=(DocKind.ARTICLE, DocKind.REPLY, DocKind.CASE))
    report("search, agent (articles, replies, cases)", timed(
        lambda i: search(user=agent, query=queries[i], f=knowledge_only), len(queries)))
    for who, name in ((manager, "manager"), (agent, "agent")):
        report(f"ticket search box, {name} (first page)", timed(
            lambda i, who=who: ticket_list_visible_to(user=who, f=TicketFilter(q=box[i % len(box)])), len(box) * 2))
    for text in (NEVER_MEET, ALWAYS_MEET):
        if hasattr(ts, "pg_fulltext_choice"):  # (absent from the code before the fix, for a before/after run)
            plan, ids = ts.pg_fulltext_choice(ts.query_tokens(text), ts.ticket_term_stats())
            print(f"{text!r}: estimate {ts.pg_fulltext_plan(ts.query_tokens(text), ts.ticket_term_stats())}, "
                  f"plan {plan} ({len(ids)} ids)")
        for who, name in ((manager, "manager"), (agent, "agent")):
            report(f"ticket search box, {name}, {text!r}", timed(
                lambda i, who=who, text=text: ticket_list_visible_to(user=who, f=TicketFilter(q=text)), 10))
        report(f"search, manager, {text!r}", timed(lambda i, text=text: search(user=manager, query=text), 10))

    numbers = list(Ticket.objects.filter(description__gt="").order_by("-id").values_list("number", "description")[:200])
    rng = random.Random(7)
    rng.shuffle(numbers)
    texts = [f"{Ticket.objects.get(number=n).title} {d}" for n, d in numbers[:40]]
    report("suggestions_for_text (service)", timed(lambda i: suggestions_for_text(user=manager, text=texts[i % len(texts)]), 100))

    client = Client()
    client.force_login(manager)
    report("suggestion panel GET (view + template)", timed(
        lambda i: client.get(f"/knowledge/tickets/{numbers[i % len(numbers)][0]}/suggestions/", HTTP_HX_REQUEST="true"), 100))

    def update_ticket(i: int) -> None:
        number, description = numbers[i]
        ticket_update(actor=manager, number=number, changes={"description": description + " 补充：客户已提供截图。"})

    report("ticket_update (re-index one ticket, commit)", timed(update_ticket, 50))
    arts = list(Article.objects.filter(status=ArticleStatus.PUBLISHED).order_by("-id").values_list("id", "body_md")[:50])
    report("article_update (re-index one article, commit)", timed(
        lambda i: ks.article_update(actor=manager, article_id=arts[i][0], changes={"body_md": arts[i][1] + "\n\n补充说明。"}), 50))
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
