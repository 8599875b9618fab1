"""The bot's answer quality and speed (see docs/chat.md, docs/benchmarks.md).

    .venv/bin/python bench/bot/bot_bench.py --set demo      # our labelled set over the demo knowledge
    .venv/bin/python bench/bot/bot_bench.py --set smp       # SMP2017 task 1 (evaluation only)
    .venv/bin/python bench/bot/bot_bench.py --set bq        # BQ corpus (evaluation only)
    [--data /work/shared/data] [--seed 42]

Each run seeds a fresh SQLite database in a temporary KEFU_DATA_DIR (or the one DATABASE_URL names)
and runs the product's bot (kefu.bot.services.bot_reply) on every question:

- demo: the demo knowledge (kefu.knowledge.demo.load_knowledge_demo, through the services); the bot
  sees its public published articles. bench/bot/questions.json: {"q", "a"} with "a" the title of the
  article that answers, or null when nothing public answers (internal-only topics and out-of-scope
  questions: these must be handed over).
- smp: one public article per SMP2017 intent, its body the intent's train utterances (stratified
  80/20, random.Random(42) per class, as the data README); the held-out utterances are the questions,
  the right answer is their intent's article. No question is unanswerable.
- bq: BQ.test.data; 400 positive pairs: text_b is an article (question-to-question matching, one side
  is the knowledge), text_a the question; plus 100 text_a of negative pairs that occur in no positive
  pair (nothing answers them: must be handed over).

The questions are split 50/50 into validation and test (random.Random(seed)). The answer threshold is
the lowest one whose wrong-answer rate on the validation part is ≤ 5% of the answered; the choices
threshold goes down from there while, on validation, the right article is among the three offered for
at least half of the questions scoring in [t, t + 0.05). Reported on the test part: deflection (answered /
all questions), accuracy among answered, wrong-answer rate (wrong / answered; an answer to an
unanswerable question is wrong), the choices band's hit rate, and the curve. Then the bot's latency
(bot_reply with logging, lexical path, the shipped thresholds) over every question.
The public data is read in place and never copied.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TARGET_WRONG = 0.05


def knowledge_demo() -> list[tuple[str, str | None]]:
    from kefu.knowledge.demo import load_knowledge_demo

    cast = _cast()
    load_knowledge_demo(author=cast["manager"], reviewer=cast["manager"], manager=cast["manager"])
    rows = json.loads((Path(__file__).parent / "questions.json").read_text(encoding="utf-8"))
    return [(r["q"], r["a"]) for r in rows]


def _cast() -> dict[str, object]:
    from _setup import bench_cast

    return bench_cast()


def _articles(items: list[tuple[str, str]]) -> None:
    from django.utils import timezone

    from kefu.knowledge import services as s
    from kefu.knowledge.choices import ArticleStatus

    manager = _cast()["manager"]
    today = timezone.localdate()
    for title, body in items:
        a = s.article_create(
            actor=manager,
            data=s.ArticleInput(  # type: ignore[arg-type]
                title=title, body_md=body, is_public=True, review_by=today + timedelta(days=90)
            ),
        )
        s.article_transition(actor=manager, article_id=a.pk, status=ArticleStatus.IN_REVIEW)  # type: ignore[arg-type]
        s.article_transition(actor=manager, article_id=a.pk, status=ArticleStatus.PUBLISHED)  # type: ignore[arg-type]


def knowledge_smp(data: Path) -> list[tuple[str, str | None]]:
    by: dict[str, list[str]] = defaultdict(list)
    with open(data / "smp2017_ecdt_task1" / "Chinese_data.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            by[row["Tag"]].append(row["Sentence"])
    articles, questions = [], []
    for tag in sorted(by):
        xs = list(by[tag])
        random.Random(42).shuffle(xs)
        cut = int(len(xs) * 0.8)
        articles.append((f"{tag}类问题", "\n".join(xs[:cut])))
        questions += [(q, f"{tag}类问题") for q in xs[cut:]]
    _articles(articles)
    return questions


def knowledge_bq(data: Path) -> list[tuple[str, str | None]]:
    pos, neg = [], []
    with open(data / "bq_corpus" / "BQ.test.data", encoding="utf-8") as f:
        for line in f:
            a, b, label = line.rstrip("\n").split("\t")
            (pos if label == "1" else neg).append((a, b))
    in_pos = {x for p in pos for x in p}
    seen: set[str] = set()
    chosen = []
    for a, b in pos:
        if b not in seen and a not in seen:
            seen.update((a, b))
            chosen.append((a, b))
        if len(chosen) == 400:
            break
    _articles([(b, b) for _a, b in chosen])
    none = []
    for a, _b in neg:
        if a not in in_pos and a not in seen:
            seen.add(a)
            none.append(a)
        if len(none) == 100:
            break
    return [(a, b) for a, b in chosen] + [(a, None) for a in none]


def run(questions: list[tuple[str, str | None]]) -> list[dict[str, object]]:
    """Every question through the bot with every candidate returned: (confidence, the top three
    titles, or the intent that handed over without searching)."""
    from kefu.bot import engine
    from kefu.bot.engine import Intent
    from kefu.bot.services import bot_reply

    keep = engine.ANSWER_THRESHOLD, engine.SUGGEST_THRESHOLD
    engine.ANSWER_THRESHOLD, engine.SUGGEST_THRESHOLD = 2.0, 0.0  # every candidate comes back as a choice
    out = []
    try:
        for q, label in questions:
            kind = engine.intent(q)
            if kind != Intent.QUESTION:
                out.append({"q": q, "a": label, "conf": -1.0, "top": [], "intent": str(kind)})
                continue
            r = bot_reply(question=q[:500], log=False)
            out.append(
                {
                    "q": q,
                    "a": label,
                    "conf": r.confidence,
                    "top": [s.title for s in r.sources][:3],
                    "intent": "",
                }
            )
    finally:
        engine.ANSWER_THRESHOLD, engine.SUGGEST_THRESHOLD = keep
    return out


def at(rows: list[dict[str, object]], answer: float) -> tuple[float, float, float, int]:
    """deflection, accuracy among answered, wrong rate, answered count at threshold `answer`."""
    answered = [r for r in rows if r["top"] and float(r["conf"]) >= answer]  # type: ignore[arg-type]
    right = sum(1 for r in answered if r["top"][0] == r["a"])  # type: ignore[index]
    n = len(answered)
    acc = right / n if n else 1.0
    return n / len(rows), acc, 1 - acc if n else 0.0, n


def band(rows: list[dict[str, object]], lo: float, hi: float) -> tuple[int, float, int]:
    """Questions in the choices band [lo, hi): how many, share with the right article among the
    three, how many of them have no answer at all."""
    xs = [r for r in rows if r["top"] and lo <= float(r["conf"]) < hi]  # type: ignore[arg-type]
    hit = sum(1 for r in xs if r["a"] in r["top"])  # type: ignore[operator]
    return len(xs), hit / len(xs) if xs else 0.0, sum(1 for r in xs if r["a"] is None)


GRID = [round(0.05 * i, 2) for i in range(1, 20)]
FINE = [round(0.01 * i, 2) for i in range(5, 96)]


def choose(val: list[dict[str, object]]) -> tuple[float, float]:
    answer = next((t for t in FINE if at(val, t)[2] <= TARGET_WRONG), FINE[-1])
    suggest = answer
    for t in sorted((t for t in FINE if t < answer), reverse=True):
        n, hit, _none = band(val, t, min(answer, t + 0.05))
        if n and hit < 0.5:
            break
        suggest = t
    return answer, suggest


def latency(questions: list[tuple[str, str | None]]) -> list[float]:
    from kefu.bot.services import bot_reply

    ms = []
    for q, _a in questions:
        t0 = time.perf_counter()
        bot_reply(question=q[:500], log=True)
        ms.append((time.perf_counter() - t0) * 1000)
    return ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=("demo", "smp", "bq"), default="demo")
    parser.add_argument("--data", default="/work/shared/data")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kefu-bot-bench-"))
    os.environ.setdefault("KEFU_DATA_DIR", str(tmp / "data"))
    os.environ["KEFU_TASKS_BACKEND"] = "django.tasks.backends.immediate.ImmediateBackend"
    os.environ.setdefault("KEFU_LOG_LEVEL", "ERROR")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from _setup import machine_line, summary
    from django.core.management import call_command

    from kefu.bot import engine

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    data = Path(args.data)
    questions = {
        "demo": knowledge_demo,
        "smp": lambda: knowledge_smp(data),
        "bq": lambda: knowledge_bq(data),
    }[args.set]()
    print(
        f"{machine_line()}; set {args.set}: {len(questions)} questions "
        f"({sum(1 for _q, a in questions if a is None)} with no answer), seeded in {time.perf_counter() - t0:.1f}s"
    )
    rows = run(questions)
    order = list(range(len(rows)))
    random.Random(args.seed).shuffle(order)
    half = len(order) // 2
    val, test = [rows[i] for i in order[:half]], [rows[i] for i in order[half:]]
    print("\ncurve (test part): answer threshold -> deflection, accuracy among answered, wrong rate")
    for t in GRID:
        d, acc, w, n = at(test, t)
        print(f"  {t:.2f}  deflection {d:6.1%}  accuracy {acc:6.1%}  wrong {w:6.1%}  (answered {n})")
    answer, suggest = choose(val)
    d, acc, w, n = at(val, answer)
    print(
        f"\nchosen on validation ({len(val)} questions): answer >= {answer:.2f} (val: deflection {d:.1%}, "
        f"wrong {w:.1%}), choices >= {suggest:.2f}"
    )
    d, acc, w, n = at(test, answer)
    nb, hit, nnone = band(test, suggest, answer)
    none = [r for r in test if r["a"] is None]
    handed = sum(1 for r in none if not r["top"] or float(r["conf"]) < suggest)  # type: ignore[arg-type]
    print(
        f"test ({len(test)} questions): deflection {d:.1%}, accuracy among answered {acc:.1%}, "
        f"wrong {w:.1%} of {n} answered; choices band {nb} questions, right one among the three "
        f"{hit:.1%} ({nnone} of them unanswerable)"
    )
    if none:
        print(
            f"  unanswerable in test: {len(none)}, handed over {handed}, shown choices "
            f"{sum(1 for r in none if r['top'] and suggest <= float(r['conf']) < answer)}, "  # type: ignore[arg-type]
            f"answered {sum(1 for r in none if r['top'] and float(r['conf']) >= answer)}"
        )  # type: ignore[arg-type]
    d, acc, w, n = at(test, engine.ANSWER_THRESHOLD)
    print(
        f"shipped thresholds (answer {engine.ANSWER_THRESHOLD}, choices {engine.SUGGEST_THRESHOLD}) on test: "
        f"deflection {d:.1%}, accuracy {acc:.1%}, wrong {w:.1%}"
    )
    ms = latency(questions)
    print(f"\nbot_reply latency (lexical, logged, {os.getenv('DATABASE_URL', 'sqlite')[:10]}): {summary(ms)}")


if __name__ == "__main__":
    main()
