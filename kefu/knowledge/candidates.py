"""The best candidates for a query, scored by BM25 in SQL over the postings (SearchPosting).

Reading and splitting every candidate's token string in Python costs about 0.1 ms a document, and a
common word holds thousands of documents. Instead the database sums, per document, the BM25 terms
of the query's most selective tokens from their postings (a token, a document, its term frequency
and the document's length: small index rows), and returns the best few dozen. Those are then
scored exactly in Python over all the query's tokens (kefu.knowledge.ranking.bm25_scores, with the
agents' feedback boost): the same scores as before, on both engines; what changed is which
documents get scored (the best by the summed tokens, instead of any 1,000 holding one of them).

Which tokens are summed in SQL (`summed_terms`): from the highest possible contribution (query weight
times IDF: the rarest) down, while their postings stay within POSTING_BUDGET, and at least one. A
document holding none of them can only score on the common tokens left out, which the rarer ones
outweigh; a planted word is always found because every token of it is in the document (the rarest
one is summed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.db import connection
from django.db.models import QuerySet

from kefu.knowledge.models import SearchDoc, SearchPosting
from kefu.knowledge.ranking import K1, B

# Postings summed per query: the cost of a search grows with this, the recall of rare documents too.
POSTING_BUDGET = 5_000
# Documents scored exactly in Python after the SQL pre-ranking, at least (a few pages' worth).
MIN_DEPTH = 40


def idf(df: int, n_docs: int) -> float:
    """The IDF of kefu.knowledge.ranking.bm25_scores."""
    n = max(n_docs, 1)
    d = min(df, n)
    return math.log(1 + (n - d + 0.5) / (d + 0.5))


def summed_terms(terms: Sequence[tuple[str, float]], df: dict[str, int], *, n_docs: int,
                 budget: int = POSTING_BUDGET) -> list[tuple[str, float]]:
    """(token, weight) of the tokens whose postings are summed in SQL, the weight being query weight
    times IDF: the highest first, while their document frequencies add up to at most `budget`."""
    present = [(t, w * idf(df[t], n_docs)) for t, w in terms if df.get(t, 0) > 0]
    present.sort(key=lambda tw: (-tw[1], tw[0]))
    out: list[tuple[str, float]] = []
    used = 0
    for t, weight in present:
        if out and used + df[t] > budget:
            continue  # a rarer token further down may still fit
        out.append((t, weight))
        used += df[t]
    return out


def best_docs(base: QuerySet[SearchDoc], summed: Sequence[tuple[str, float]], *, avg_len: float,
              depth: int, fields: Sequence[str]) -> list[SearchDoc]:
    """The `depth` documents of `base` with the highest BM25 over the `summed` tokens, pre-ranked by
    the database from the postings; one query, rows in no particular order (the caller scores them),
    with only `fields` loaded. Raw SQL around the visibility filter: building the same with the ORM
    costs more time than running it."""
    if not summed:
        return []
    keys: dict[str, float] = {}
    for t, weight in summed:
        keys[t[:64]] = keys.get(t[:64], 0.0) + weight
    visible_sql, visible_params = base.values("id").query.sql_with_params()
    qn = connection.ops.quote_name
    cols = ", ".join(qn(f) for f in ("id", *fields))  # plain fields: the column is the name
    # The query's tokens and weights as a small table joined on the term (a CASE over the tokens
    # costs a comparison per token and posting); plain SQL that SQLite and PostgreSQL both read.
    # Weights are cast to floating point: a bare decimal literal is `numeric` on PostgreSQL, whose
    # arithmetic over a few thousand postings costs several milliseconds more than float8's.
    weights = " UNION ALL ".join(["SELECT %s AS term, CAST(%s AS DOUBLE PRECISION) AS w"] * len(keys))
    sql = (
        f"SELECT {cols} FROM {qn(SearchDoc._meta.db_table)} WHERE {qn('id')} IN ("
        f"SELECT p.doc_id FROM {qn(SearchPosting._meta.db_table)} p JOIN ({weights}) q ON p.term = q.term "
        f"WHERE p.doc_id IN ({visible_sql}) "
        f"GROUP BY p.doc_id ORDER BY SUM(q.w * p.tf / (p.tf + CAST(%s AS DOUBLE PRECISION) + CAST(%s AS DOUBLE PRECISION) * p.length)) DESC, p.doc_id DESC LIMIT %s)"
    )
    params: list[object] = []
    for t, w in keys.items():
        params += [t, w * (K1 + 1)]
    params += [*visible_params, K1 * (1 - B), K1 * B / (avg_len or 1.0), depth]
    return list(SearchDoc.objects.raw(sql, params))
