"""AI pre-screen bench: precision/recall per check on the labelled set, negative-emotion F1 on
waimai_10k (evaluation only, read in place, never copied), and throughput.

    .venv/bin/python bench/quality/prescreen_bench.py [--waimai PATH] [--n 10000] [--skip-throughput]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")

import django  # noqa: E402

django.setup()

from kefu.quality.emotion import EmotionModel, detect  # noqa: E402
from kefu.quality.prescreen import CHECKS, prescreen  # noqa: E402

DATA = ROOT / "kefu/quality/tests/data/conversations.jsonl"


def labelled_scores(path: Path = DATA) -> dict[str, tuple[int, int, int]]:
    """Per check: (true positives, false positives, false negatives) over (conversation, check, turn)."""
    counts = {c: [0, 0, 0] for c in CHECKS}
    for line in path.read_text(encoding="utf-8").splitlines():
        conv = json.loads(line)
        gold = {(lab["rule"], lab["turn"]) for lab in conv["labels"]}
        got = {(f.check, f.turn) for f in prescreen(conv["turns"], next_response_minutes=conv["next_response_minutes"])}
        for c in CHECKS:
            g = {x for x in gold if x[0] == c}
            p = {x for x in got if x[0] == c}
            counts[c][0] += len(g & p)
            counts[c][1] += len(p - g)
            counts[c][2] += len(g - p)
    return {c: (v[0], v[1], v[2]) for c, v in counts.items()}


def pr(tp: int, fp: int, fn: int) -> tuple[float, float]:
    return (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)


def f1_neg(gold: list[int], pred: list[int]) -> float:
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == 1 and p == 1)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if g == 0 and p == 1)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == 1 and p == 0)
    return 2 * tp / (2 * tp + fp + fn)


def waimai(path: Path) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    with path.open(encoding="utf-8") as f:
        rows = [(r["review"], 1 if r["label"] == "0" else 0) for r in csv.DictReader(f)]  # 1 = negative
    texts, neg = [r[0] for r in rows], [r[1] for r in rows]
    xtr, xte, ytr, yte = train_test_split(texts, neg, test_size=0.2, stratify=neg, random_state=42)
    print(f"\nwaimai_10k: {len(texts)} rows, split 80/20 stratified seed 42: {len(xtr)} train / {len(xte)} test")
    lex = [1 if detect(t).kind else 0 for t in xte]
    print(f"  lexicon only (never saw waimai)         negative F1 {f1_neg(yte, lex):.3f}")
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3))
    base = LogisticRegression(max_iter=2000).fit(vec.fit_transform(xtr), ytr)
    bp = list(base.predict(vec.transform(xte)))
    print(f"  baseline TF-IDF char 1-3 + LR (train)   negative F1 {f1_neg(yte, bp):.3f}")
    t0 = time.perf_counter()
    model = EmotionModel.train(xtr, ytr)
    took = time.perf_counter() - t0
    mp = [1 if p >= 0.5 else 0 for p in model.proba(xte)]
    print(f"  EmotionModel trained on train split     negative F1 {f1_neg(yte, mp):.3f} (train {took:.1f} s)")
    withm = [1 if detect(t, proba=p).kind else 0 for t, p in zip(xte, model.proba(xte), strict=True)]
    print(f"  detect() = threat lexicon + model       negative F1 {f1_neg(yte, withm):.3f}")


def throughput(n: int) -> None:
    convs = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    batch = []
    k = 0
    while len(batch) < n:
        c = convs[k % len(convs)]
        turns = [dict(t) for t in c["turns"]]
        while len(turns) < 12:
            turns += [dict(t) for t in c["turns"]]
        turns = turns[:12]
        turns[0] = dict(turns[0], text=turns[0]["text"] + f"（{k}）")  # no two conversations alike
        batch.append(turns)
        k += 1
    prescreen(batch[0])  # compile + jieba load outside the timing
    t0 = time.perf_counter()
    found = sum(len(prescreen(t)) for t in batch)
    took = time.perf_counter() - t0
    print(f"\nthroughput: {n} conversations x 12 turns in {took:.1f} s ({n / took:.0f}/s, one process), {found} findings")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--waimai", default=str(ROOT.parent.parent / "shared/data/waimai_10k/waimai_10k.csv"))
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-waimai", action="store_true")
    args = ap.parse_args()
    scores = labelled_scores()
    print(f"labelled set {DATA.relative_to(ROOT)}: per check (conversation, check, turn)")
    print("| check | TP | FP | FN | precision | recall |\n|---|---|---|---|---|---|")
    for c, (tp, fp, fn) in scores.items():
        p, r = pr(tp, fp, fn)
        print(f"| {c} | {tp} | {fp} | {fn} | {p:.3f} | {r:.3f} |")
    if not args.skip_waimai:
        path = Path(args.waimai)
        if not path.exists():
            path = Path("/work/shared/data/waimai_10k/waimai_10k.csv")
        waimai(path)
    if not args.skip_throughput:
        throughput(args.n)


if __name__ == "__main__":
    main()
