from __future__ import annotations

import random

from kefu.triage import engine
from kefu.triage.engine import Example
from kefu.triage.tests.conftest import TOPICS, text_for


def _examples(n: int, seed: int = 1) -> list[Example]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        topic = list(TOPICS)[i % 4]
        complaint = rng.random() < 0.3
        title, desc = text_for(topic, rng, complaint=complaint)
        out.append(Example(title=title, description=desc, channel="phone",
                           labels={"category": topic, "complaint": "yes" if complaint else "no"}))
    return out


def test_training_and_predicting_round_trip_with_reasons() -> None:
    bundle = engine.train(_examples(120))
    assert set(bundle.models) == {"category", "complaint"}  # no labels for priority and team
    p = bundle.predict_one(Example(title="宽带无法上网", description="光猫红灯闪烁，我要投诉"))
    assert p["category"].value == "宽带" and p["category"].confidence > 0.5
    assert p["complaint"].value == "yes"
    assert any("宽带" in r or "光猫" in r for r in p["category"].reasons)
    assert any("投诉" in r for r in p["complaint"].reasons)


def test_evaluate_reports_per_class_confusion_and_thresholds() -> None:
    train, test = engine.split_by_time(_examples(150))
    scores = engine.evaluate(engine.train(train), test)
    cat = scores["fields"]["category"]
    assert cat["n"] == 30 and cat["accuracy"] > 0.8
    assert sorted(c["label"] for c in cat["classes"]) == sorted(TOPICS)
    assert sum(map(sum, cat["confusion"]["matrix"])) == 30
    shares = [c["share"] for c in cat["calibration"]]
    assert shares == sorted(shares, reverse=True)  # a higher threshold never applies more
    assert 0 < scores["score"] <= 1


def test_a_field_the_model_cannot_predict_scores_zero() -> None:
    train, test = engine.split_by_time(_examples(60))
    bundle = engine.train(train, fields=("complaint",))
    scores = engine.evaluate(bundle, test, fields=("category", "complaint"))
    assert scores["fields"]["category"]["missing"] is True
    assert scores["score"] == scores["fields"]["complaint"]["macro_f1"] / 2


def test_a_single_valued_field_is_left_out() -> None:
    ex = [Example(title=f"退款{i}", labels={"category": "a", "priority": "normal" if i % 2 else "high"}) for i in range(10)]
    assert set(engine.train(ex).models) == {"priority"}
