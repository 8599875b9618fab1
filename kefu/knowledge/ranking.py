"""BM25 over a candidate set, pure Python (no ORM), the same on SQLite and PostgreSQL.

The candidates are every document holding at least one of the query's selecting tokens, so document
frequencies counted over them are the true ones for those tokens (up to the candidate cap).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

K1 = 1.2
B = 0.75


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
    idf = {t: math.log(1 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5)) for t in term_w}
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


def top_k(keys_scores: Iterable[tuple[object, float]], k: int) -> list[tuple[object, float]]:
    return sorted((ks for ks in keys_scores if ks[1] > 0), key=lambda ks: -ks[1])[:k]
