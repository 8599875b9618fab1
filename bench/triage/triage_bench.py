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


def _p95_ms(bundle: engine.Bundle, examples: list[engine.Example], n: int = 300, *, reasons: bool = True) -> float:
    bundle.predict(examples[:1], with_reasons=reasons)  # warm: jieba's dictionary
    times = []
    for ex in examples[:n]:
        t0 = time.perf_counter()
        bundle.predict([ex], with_reasons=reasons)
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.percentile(times, 95))


def public(name: str) -> None:
    train, test = load(name)
    t0 = time.perf_counter()
    bundle = engine.train(_examples(train), fields=("category",))
    seconds = time.perf_counter() - t0
    scores = engine.evaluate(bundle, _examples(test), fields=("category",))["fields"]["category"]
    p95 = _p95_ms(bundle, _examples(test))
    print(
        f"{name}: train {len(train)} test {len(test)} classes {len({y for _, y in train})}  "
        f"accuracy {scores['accuracy']:.3f}  macro-F1 {scores['macro_f1']:.3f}  "
        f"train {seconds:.1f} s  predict p95 {p95:.2f} ms (with reasons)"
    )


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
    print(f"demo: {len(examples)} handled tickets, train {len(train)} (older) / test {len(test)} (newer), "
          f"train {seconds:.1f} s, predict p95 {_p95_ms(bundle, test):.2f} ms with reasons, "
          f"{_p95_ms(bundle, test, reasons=False):.2f} ms without")
    for name, s in scores["fields"].items():
        if s.get("missing"):
            print(f"  {name}: not learnt")
            continue
        cal = {c["threshold"]: c for c in s["calibration"]}
        c9 = cal[0.9]
        acc9 = "—" if c9["accuracy"] is None else f"{c9['accuracy']:.3f}"
        print(f"  {name}: n {s['n']} accuracy {s['accuracy']:.3f} macro-F1 {s['macro_f1']:.3f}  "
              f"at ≥0.9: {c9['share']:.0%} auto-applied at {acc9} accuracy")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="smp2017,shopping10,banking77")
    ap.add_argument("--demo", action="store_true")
    args = ap.parse_args()
    for name in [s for s in args.sets.split(",") if s]:
        public(name)
    if args.demo:
        demo()


if __name__ == "__main__":
    main()
