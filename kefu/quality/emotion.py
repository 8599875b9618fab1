"""The customer's negative emotion, offline: a weighted lexicon, and an optional model the center
trains from its own reviewed texts (TF-IDF characters 1-3 and jieba words + the lexicon score,
logistic regression; scikit-learn). Models are saved to and loaded from a local file only; nothing
is ever fetched from a hub."""

from __future__ import annotations

import math
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kefu.quality.lexicon import ANGER_NEGATED, ANGER_WORDS, CALM_WORDS, THREAT_NEGATIONS, THREATS, fold

_ANGER_RE = re.compile("|".join(re.escape(w) for w in sorted(ANGER_WORDS, key=len, reverse=True)))
_CALM_RE = re.compile("|".join(re.escape(w) for w in sorted(CALM_WORDS, key=len, reverse=True)))
_THREAT_RE = re.compile(
    r"(?<!\d)(?:" + "|".join(re.escape(w) for w in sorted(THREATS, key=len, reverse=True)) + r")(?!\d)"
)
ANGER_THRESHOLD = 1.5


@dataclass(frozen=True)
class Signal:
    kind: str  # "threat" | "anger" | ""
    score: float
    confidence: float
    start: int | None
    end: int | None
    evidence: str


def lexicon_score(text: str) -> tuple[float, tuple[int, int] | None, str]:
    """Anger minus calm, with the span of the strongest anger word."""
    t = fold(text)
    for neg in ANGER_NEGATED:
        t = t.replace(neg, "\0" * len(neg))
    score = 0.0
    best: tuple[float, tuple[int, int], str] | None = None
    for m in _ANGER_RE.finditer(t):
        w = ANGER_WORDS[m.group()]
        score += w
        if best is None or w > best[0]:
            best = (w, m.span(), text[m.start():m.end()])
    score -= sum(CALM_WORDS[m.group()] for m in _CALM_RE.finditer(t))
    return score, (best[1] if best else None), (best[2] if best else "")


def threat(text: str) -> tuple[int, int] | None:
    t = fold(text)
    for m in _THREAT_RE.finditer(t):
        before = t[max(0, m.start() - 4):m.start()]
        if any(n in before for n in THREAT_NEGATIONS):
            continue
        return m.span()
    return None


def _squash(x: float) -> float:
    return round(1 / (1 + math.exp(-(x - ANGER_THRESHOLD) * 1.5)), 3)


class EmotionModel:
    """A negative-emotion classifier trained on reviewed texts (label 1 = negative)."""

    def __init__(self, pipeline: Any, threshold: float = 0.5) -> None:
        self.pipeline = pipeline
        self.threshold = threshold

    @classmethod
    def train(cls, texts: list[str], negative: list[int], *, c: float = 4.0) -> EmotionModel:
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        chars = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
        words = TfidfVectorizer(tokenizer=_words, token_pattern=None, lowercase=False, ngram_range=(1, 2),
                                sublinear_tf=True, min_df=2)
        folded = [fold(t) for t in texts]
        lex = csr_matrix([[lexicon_score(t)[0] / 5.0] for t in texts])
        x = hstack([chars.fit_transform(folded), words.fit_transform(folded), lex]).tocsr()
        clf = LogisticRegression(C=c, max_iter=2000)
        clf.fit(x, negative)
        return cls({"chars": chars, "words": words, "clf": clf})

    def proba(self, texts: list[str]) -> list[float]:
        from scipy.sparse import csr_matrix, hstack

        folded = [fold(t) for t in texts]
        lex = csr_matrix([[lexicon_score(t)[0] / 5.0] for t in texts])
        p = self.pipeline
        x = hstack([p["chars"].transform(folded), p["words"].transform(folded), lex]).tocsr()
        return [float(v) for v in p["clf"].predict_proba(x)[:, 1]]

    def save(self, path: str | Path) -> None:
        Path(path).write_bytes(pickle.dumps(self.pipeline))

    @classmethod
    def load(cls, path: str | Path) -> EmotionModel:
        """From a local file the center trained and saved itself (pickle: trusted files only)."""
        return cls(pickle.loads(Path(path).read_bytes()))  # noqa: S301


def _words(text: str) -> list[str]:
    import jieba

    return jieba.lcut(text)


def detect(text: str, *, model: EmotionModel | None = None, proba: float | None = None) -> Signal:
    """The emotion of one customer turn: a threat to escalate first, then anger (lexicon or model)."""
    span = threat(text)
    if span is not None:
        return Signal("threat", 3.0, 0.9, span[0], span[1], text[span[0]:span[1]])
    score, aspan, word = lexicon_score(text)
    if model is not None or proba is not None:
        p = proba if proba is not None else model.proba([text])[0]  # type: ignore[union-attr]
        if p >= (model.threshold if model else 0.5):
            s, e = aspan if aspan else (0, len(text))
            return Signal("anger", score, round(p, 3), s, e, word or text[:20])
        return Signal("", score, round(p, 3), None, None, "")
    if score >= ANGER_THRESHOLD and aspan:
        return Signal("anger", score, _squash(score), aspan[0], aspan[1], word)
    return Signal("", score, _squash(score), None, None, "")
