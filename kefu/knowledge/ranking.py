"""BM25 over a candidate set, pure Python (no ORM), the same on SQLite and PostgreSQL.

The candidates are every document holding at least one of the query's selecting tokens, so document
frequencies counted over them are the true ones for those tokens (up to the candidate cap).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

K1 = 1.2
B = 0.75
# Single characters join the selecting terms, rarest first, while they add at most this many documents.
SELECT_BUDGET = 2000


@dataclass
class Candidate:
    key: object
    tokens: Sequence[str]
    length: int
    boost: float = 1.0


def bm25_scores(
    terms: Sequence[tuple[str, float]],
    candidates: Sequence[Candidate],
    *,
    n_docs: int,
    avg_len: float,
    df: dict[str, int] | None = None,
) -> list[float]:
    """BM25 score of each candidate for weighted query terms. `df` defaults to counts over the candidates."""
    term_w = dict(terms)
    tfs = [Counter(t for t in c.tokens if t in term_w) for c in candidates]
    if df is None:
        df = Counter()
        for tf in tfs:
            df.update(tf.keys())
    n = max(n_docs, len(candidates), 1)
    # A stale count above n (rows removed behind the services' back) must not turn the IDF negative.
    idf = {t: math.log(1 + (n - min(df.get(t, 0), n) + 0.5) / (min(df.get(t, 0), n) + 0.5)) for t in term_w}
    avg = avg_len or 1.0
    out = []
    for c, tf in zip(candidates, tfs, strict=True):
        norm = K1 * (1 - B + B * (c.length or 1) / avg)
        s = 0.0
        for t, f in tf.items():
            s += term_w[t] * idf[t] * f * (K1 + 1) / (f + norm)
        out.append(s * c.boost)
    return out


def feedback_boost(*, used: int, helpful: int, not_helpful: int) -> float:
    """Agents' feedback nudges the ranking: up to about +35% for much-used, helpful documents."""
    signal = used + 2 * helpful - 2 * not_helpful
    if signal <= 0:
        return max(0.8, 1.0 + 0.05 * signal)
    return 1.0 + 0.1 * math.log1p(signal)


def select_terms(terms: Sequence[tuple[str, float]], df: dict[str, int], *, budget: int,
                 is_weak: Callable[[str], bool]) -> list[str]:
    """The query terms that select candidates from the index: every strong term (words, bigrams,
    Latin words: so any planted word is always found), then the weak ones (single characters) from
    the rarest up while the documents they add stay within `budget`. A single character shared with
    the query matters for ranking short texts (SMP/BQ), but 的 or 我 alone selects half the index."""
    present = [t for t, _w in terms if df.get(t, 0) > 0]
    strong = [t for t in present if not is_weak(t)]
    used = sum(df[t] for t in strong)
    out = list(strong)
    for t in sorted((t for t in present if is_weak(t)), key=lambda t: (df[t], t)):
        if out and used + df[t] > budget:
            break
        out.append(t)
        used += df[t]
    return out


def aggregate_entries(scored: Iterable[tuple[object, float]], depth: int = 10) -> dict[object, float]:
    """Score of an FAQ entry from the scores of its example questions: the sum of its top `depth`
    example scores, the i-th divided by i (the best example counts fully; many good ones add up)."""
    per: dict[object, list[float]] = {}
    for entry, s in scored:
        per.setdefault(entry, []).append(s)
    out = {}
    for entry, ss in per.items():
        ss.sort(reverse=True)
        out[entry] = sum(s / (i + 1) for i, s in enumerate(ss[:depth]))
    return out


def fuse_z(lexical: dict[object, float], semantic: dict[object, float], *, weight: float) -> dict[object, float]:
    """Weighted z-score fusion: each score list standardised over the keys, then
    (1 - weight) * lexical + weight * semantic. A key missing from one side gets that side's minimum."""
    keys = set(lexical) | set(semantic)
    if not keys:
        return {}

    def z(d: dict[object, float]) -> dict[object, float]:
        if not d:
            return dict.fromkeys(keys, 0.0)
        lo = min(d.values())
        vals = [d.get(k, lo) for k in keys]
        mean = sum(vals) / len(vals)
        sd = math.sqrt(sum((v - mean) ** 2 for v in vals) / len(vals)) or 1.0
        return {k: (d.get(k, lo) - mean) / sd for k in keys}

    zl, zs = z(lexical), z(semantic)
    return {k: (1 - weight) * zl[k] + weight * zs[k] for k in keys}


def top_k(keys_scores: Iterable[tuple[object, float]], k: int) -> list[tuple[object, float]]:
    return sorted((ks for ks in keys_scores if ks[1] > 0), key=lambda ks: -ks[1])[:k]
