"""Chinese text segmentation for search (jieba, dictionary shipped in the package: offline)."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)
_init_lock = threading.Lock()
_initialized = False

_TOKEN_OK = re.compile(r"\w", re.UNICODE)


def _ensure_initialized() -> None:
    global _initialized
    if _initialized:
        return
    with _init_lock:
        if not _initialized:
            jieba.initialize()
            _initialized = True


def normalize(text: str) -> str:
    """NFKC (full-width → half-width) and lower-case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def index_tokens(text: str) -> list[str]:
    """Tokens to index: jieba's search mode emits words and their sub-words (退款到账 → 退款, 到账, 退款到账)."""
    _ensure_initialized()
    out: list[str] = []
    seen: set[str] = set()
    for tok in jieba.cut_for_search(normalize(text)):
        tok = tok.strip()
        if tok and _TOKEN_OK.search(tok) and tok not in seen:
            seen.add(tok)
            out.append(tok)
    return out


@lru_cache(maxsize=2048)
def query_tokens(query: str) -> tuple[str, ...]:
    """Tokens of a query, every one of which must match (precise mode, so 退款 stays one word)."""
    _ensure_initialized()
    toks = [t.strip() for t in jieba.cut(normalize(query))]
    return tuple(dict.fromkeys(t for t in toks if t and _TOKEN_OK.search(t)))


def index_text(*parts: str) -> str:
    """Space-joined index tokens, stored in a column and indexed by the database's full-text engine."""
    return " ".join(index_tokens(" ".join(p for p in parts if p)))
