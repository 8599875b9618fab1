"""Retrieval quality of kefu's knowledge ranking on public Chinese data (see docs/knowledge.md).

    .venv/bin/python bench/knowledge/eval_faq.py [--data ../shared/data] [--variant kefu|bm25-char12]

SMP2017: 31 intents, each an FAQ entry whose examples are its train utterances; every test utterance
is a query; Hit@1 = the top entry is the query's intent (an entry scores as its best example).
Split: stratified 80/20 with random.Random(42) per class (as the data README describes).
BQ: cluster protocol on BQ.test.data: index every distinct sentence; clusters are the connected
components of the positive pairs; each clustered sentence queries for the rest of its cluster
(itself left out); MRR@10.

It uses the product's own tokeniser (kefu.knowledge.lexicon) and BM25 (kefu.knowledge.ranking) over
an in-memory inverted index that selects candidates exactly as the database does (any selecting
token). The data is read in place and never copied into the repository.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

from kefu.knowledge import lexicon as lx  # noqa: E402
from kefu.knowledge.ranking import Candidate, bm25_scores  # noqa: E402


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

    def search(self, q: str, k: int, exclude: int | None = None) -> list[tuple[int, float]]:
        terms = self.terms(q)
        sel = [t for t, _ in terms] if self.variant == "bm25-char12" else lx.strong_terms(terms)
        cand_ids = sorted({i for t in sel for i in self.post.get(t, ())} - {exclude})
        cands = [Candidate(key=i, tokens=self.toks[i], length=len(self.toks[i])) for i in cand_ids]
        df = {t: len(self.post.get(t, ())) for t, _ in terms}
        scores = bm25_scores(terms, cands, n_docs=len(self.toks), avg_len=self.avg, df=df)
        ranked = sorted(zip(cand_ids, scores, strict=True), key=lambda x: -x[1])
        return ranked[:k]


def smp(data: Path, variant: str) -> float:
    rows = list(csv.reader(open(data / "smp2017_ecdt_task1/Chinese_data.csv", encoding="utf-8"), delimiter="\t"))[1:]
    by_tag: dict[str, list[str]] = defaultdict(list)
    for sent, tag in rows:
        by_tag[tag].append(sent)
    rng = random.Random(42)
    train: list[tuple[str, str]] = []
    test: list[tuple[str, str]] = []
    for tag in sorted(by_tag):
        sents = by_tag[tag][:]
        rng.shuffle(sents)
        n_test = round(len(sents) * 0.2)
        test += [(s, tag) for s in sents[:n_test]]
        train += [(s, tag) for s in sents[n_test:]]
    idx = Index([s for s, _ in train], variant)
    hits = 0
    for q, tag in test:
        top = idx.search(q, 1)
        hits += bool(top) and train[top[0][0]][1] == tag
    print(f"SMP2017 {variant}: train {len(train)} test {len(test)} Hit@1 {hits / len(test):.3f}")
    return hits / len(test)


def bq(data: Path, variant: str) -> float:
    pairs = [line.rstrip("\n").split("\t") for line in open(data / "bq_corpus/BQ.test.data", encoding="utf-8")]
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
    rr = 0.0
    n = 0
    t0 = time.perf_counter()
    for members in clusters.values():
        if len(members) < 2:
            continue
        for q in members:
            rel = set(members) - {q}
            for rank, (doc, _s) in enumerate(idx.search(texts[q], 10, exclude=q), 1):
                if doc in rel:
                    rr += 1 / rank
                    break
            n += 1
    dt = time.perf_counter() - t0
    print(f"BQ {variant}: {len(texts)} sentences, {n} queries, MRR@10 {rr / n:.3f} ({dt / n * 1000:.1f} ms/query)")
    return rr / n


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=str(Path(__file__).resolve().parents[3] / "shared" / "data"))
    p.add_argument("--variant", default="kefu", choices=["kefu", "bm25-char12"])
    a = p.parse_args()
    data = Path(a.data)
    lx._lexicon = lx.Lexicon(synonyms=[tuple(lx.simplify(w) for w in g) for g in lx.DEFAULT_SYNONYMS])
    smp(data, a.variant)
    bq(data, a.variant)


if __name__ == "__main__":
    main()
