"""The learned triage itself: features, training, evaluation and prediction. No ORM.

Features of a ticket: the title and description as jieba words and as character 1-3 grams (Chinese
has no spaces, so n-grams catch what the dictionary splits badly: 退款 in 退款到账), plus channel,
customer tier and the customer's recent categories as tokens of their own. One linear classifier per
field on TF-IDF: a LinearSVC calibrated by CalibratedClassifierCV (sigmoid, 3 folds) when every
class has three examples, else a logistic regression; both give probabilities. The words that
weighed most for the chosen class (feature value × the class's weight) are the reason shown.

A bundle (featurizer + one model per field) is pickled with joblib under KEFU_DATA_DIR; it is only
ever read from there (written by `triage_train`), never fetched.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jieba
import numpy as np
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from kefu.core.text import normalize

FIELDS = ("category", "priority", "complaint", "team")
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99)
MAX_TEXT = 4000  # characters of title + description the model reads
REASONS = 5

_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class Example:
    """One ticket as the model sees it. `labels` holds the final value per field ("" = unknown)."""

    title: str
    description: str = ""
    channel: str = ""
    tier: str = ""
    recent: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    weight: float = 1.0

    @property
    def text(self) -> str:
        return normalize(f"{self.title}\n{self.description}")[:MAX_TEXT]


def words(text: str) -> list[str]:
    """jieba's precise-mode words (module level, so a pickled vectorizer finds it)."""
    return [w for w in (t.strip() for t in jieba.lcut(text)) if w and _WORD.search(w)]


_PUNCT = re.compile(r"[^\w]+", re.UNICODE)


def no_punctuation(text: str) -> str:
    """Punctuation out before the character n-grams (a reason like “诉，” says nothing)."""
    return _PUNCT.sub(" ", text)


def meta_tokens(tokens: str) -> list[str]:
    return tokens.split()


def _meta(ex: Example) -> str:
    out = []
    if ex.channel:
        out.append(f"channel={ex.channel}")
    if ex.tier:
        out.append(f"tier={ex.tier}")
    out += [f"recent={c}" for c in ex.recent[:5]]
    return " ".join(out) or "none"


class Featurizer:
    """Three TF-IDF vectorizers side by side: jieba words, char 1-3 grams, meta tokens."""

    def __init__(self, *, max_char_features: int = 300_000) -> None:
        self.word = TfidfVectorizer(analyzer=words, sublinear_tf=True, min_df=1)
        self.char = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1, max_features=max_char_features,
            preprocessor=no_punctuation,
        )
        self.meta = TfidfVectorizer(analyzer=meta_tokens, min_df=1)
        self.names: list[str] = []

    def fit_transform(self, examples: Sequence[Example]) -> sparse.csr_matrix:
        texts = [ex.text for ex in examples]
        parts = [
            self.word.fit_transform(texts), self.char.fit_transform(texts),
            self.meta.fit_transform([_meta(ex) for ex in examples]) * 0.5,
        ]
        self.names = (
            list(self.word.get_feature_names_out())
            + [g.strip() for g in self.char.get_feature_names_out()]
            + list(self.meta.get_feature_names_out())
        )
        return sparse.hstack(parts, format="csr")

    def transform(self, examples: Sequence[Example]) -> sparse.csr_matrix:
        texts = [ex.text for ex in examples]
        parts = [self.word.transform(texts), self.char.transform(texts), self.meta.transform([_meta(ex) for ex in examples]) * 0.5]
        return sparse.hstack(parts, format="csr")


@dataclass
class FieldModel:
    field: str
    classes: list[str]
    clf: Any
    coef: np.ndarray  # (n_classes or 1, n_features), for reasons

    def proba(self, x: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(self.clf.predict_proba(x))


@dataclass(frozen=True)
class Prediction:
    field: str
    value: str
    confidence: float
    reasons: list[str]


@dataclass
class Bundle:
    featurizer: Featurizer
    models: dict[str, FieldModel]
    trained_on: int = 0

    def predict(self, examples: Sequence[Example], *, with_reasons: bool = True) -> list[dict[str, Prediction]]:
        if not examples:
            return []
        x = self.featurizer.transform(examples)
        out: list[dict[str, Prediction]] = [{} for _ in examples]
        for name, model in self.models.items():
            probs = model.proba(x)
            best = probs.argmax(axis=1)
            for i, k in enumerate(best):
                value = model.classes[int(k)]
                reasons = _reasons(self.featurizer.names, model, x[i], int(k)) if with_reasons else []
                out[i][name] = Prediction(field=name, value=value, confidence=float(probs[i, k]), reasons=reasons)
        return out

    def predict_one(self, example: Example) -> dict[str, Prediction]:
        return self.predict([example])[0]


def _reasons(names: list[str], model: FieldModel, row: sparse.csr_matrix, k: int) -> list[str]:
    """The features that pushed hardest towards class k: value × weight, largest first."""
    if model.coef.shape[0] == 1:  # binary: one weight row for classes[1]
        weights = model.coef[0] if k == 1 else -model.coef[0]
    else:
        weights = model.coef[k]
    idx = row.indices
    if not len(idx):
        return []
    contrib = row.data * weights[idx]
    out: list[str] = []
    for j in np.argsort(-contrib)[: REASONS * 4]:
        name = names[idx[j]]
        if contrib[j] <= 0 or len(out) >= REASONS:
            break
        # A character n-gram inside a word already shown (投 of 投诉) adds nothing.
        if name and not any(name in shown or shown in name for shown in out):
            out.append(name)
    return out


def _classifier(y: list[str], *, calibrate_min: int = 3) -> Any:
    smallest = min(Counter(y).values())
    if smallest >= calibrate_min and len(y) >= 30:
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
        return CalibratedClassifierCV(LinearSVC(C=0.5), cv=folds, method="sigmoid")
    return LogisticRegression(C=10.0, max_iter=2000)


def _coef(clf: Any) -> np.ndarray:
    if isinstance(clf, CalibratedClassifierCV):
        return np.mean([c.estimator.coef_ for c in clf.calibrated_classifiers_], axis=0)
    return np.asarray(clf.coef_)


def train(examples: Sequence[Example], *, fields: Sequence[str] = FIELDS, max_char_features: int = 300_000) -> Bundle:
    """Fit the featurizer on every example and one classifier per field on the examples that know
    that field's value. A field with fewer than two values is left out (nothing to learn)."""
    featurizer = Featurizer(max_char_features=max_char_features)
    x = featurizer.fit_transform(examples)
    weights = np.array([ex.weight for ex in examples])
    models: dict[str, FieldModel] = {}
    for name in fields:
        rows = [i for i, ex in enumerate(examples) if ex.labels.get(name)]
        y = [examples[i].labels[name] for i in rows]
        if len(set(y)) < 2:
            continue
        clf = _classifier(y)
        clf.fit(x[rows], y, sample_weight=weights[rows])
        models[name] = FieldModel(field=name, classes=[str(c) for c in clf.classes_], clf=clf, coef=_coef(clf))
    return Bundle(featurizer=featurizer, models=models, trained_on=len(examples))


def evaluate(bundle: Bundle, examples: Sequence[Example], *, fields: Sequence[str] = FIELDS) -> dict[str, Any]:
    with warnings.catch_warnings():  # one class in a small held-out set is fine
        warnings.simplefilter("ignore", UserWarning)
        return _evaluate(bundle, examples, fields)


def _evaluate(bundle: Bundle, examples: Sequence[Example], fields: Sequence[str]) -> dict[str, Any]:
    """Scores per field on held-out examples: accuracy, macro-F1, per-class precision/recall,
    the confusion matrix, and for each threshold the share of predictions at or above it and their
    accuracy (what auto-apply would do). `score` is the mean macro-F1 over `fields` (a field the
    bundle cannot predict counts 0), the number promotion compares."""
    preds = bundle.predict(examples, with_reasons=False) if examples else []
    out: dict[str, Any] = {"fields": {}, "n": len(examples)}
    total = 0.0
    for name in fields:
        rows = [i for i, ex in enumerate(examples) if ex.labels.get(name)]
        if not rows:
            continue
        y_true = [examples[i].labels[name] for i in rows]
        if name not in bundle.models:
            out["fields"][name] = {"n": len(rows), "accuracy": 0.0, "macro_f1": 0.0, "missing": True}
            continue
        y_pred = [preds[i][name].value for i in rows]
        conf = np.array([preds[i][name].confidence for i in rows])
        right = np.array([a == b for a, b in zip(y_true, y_pred, strict=True)])
        labels = sorted(set(y_true) | set(y_pred))
        report = classification_report(y_true, y_pred, labels=labels, output_dict=True, zero_division=0)
        macro = float(f1_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro", zero_division=0))
        calibration = []
        for t in THRESHOLDS:
            sel = conf >= t
            calibration.append({
                "threshold": t, "share": float(sel.mean()), "accuracy": float(right[sel].mean()) if sel.any() else None,
            })
        out["fields"][name] = {
            "n": len(rows),
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": macro,
            "classes": [
                {"label": lab, "precision": report[lab]["precision"], "recall": report[lab]["recall"],
                 "support": int(report[lab]["support"])}
                for lab in labels
            ],
            "confusion": {"labels": labels, "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()},
            "calibration": calibration,
        }
        total += macro
    known = [f for f in fields if f in out["fields"]]
    out["score"] = total / len(known) if known else 0.0
    return out


def split_by_time(examples: Sequence[Example], *, test_share: float = 0.2) -> tuple[list[Example], list[Example]]:
    """Older examples train, the newest `test_share` are held out (callers pass them oldest first)."""
    n_test = max(1, int(round(len(examples) * test_share)))
    return list(examples[:-n_test]), list(examples[-n_test:])
