"""Chinese text segmentation for search (jieba, dictionary shipped in the package: offline).

jieba alone is not enough for recall: the same characters segment differently in a short query and
inside a sentence (a query "到账" gives 到 / 账, while "不到账" in a ticket gives 不 / 到账). So the index
holds jieba's words *and* the character bigrams of every run of Chinese characters, and a query
matches by the bigrams of its Chinese runs: any substring of two or more characters is found.
Latin words and numbers are whole tokens on both sides.
"""

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
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[0-9a-z]+(?:[._-][0-9a-z]+)*")


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


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] if len(run) > 1 else [run]


def index_tokens(text: str) -> list[str]:
    """Tokens to index: jieba's search-mode words, CJK bigrams, and Latin words/numbers."""
    _ensure_initialized()
    norm = normalize(text)
    out: dict[str, None] = {}
    for tok in jieba.cut_for_search(norm):
        tok = tok.strip()
        if tok and _TOKEN_OK.search(tok):
            out.setdefault(tok)
    for run in _CJK_RUN.findall(norm):
        for gram in _bigrams(run):
            out.setdefault(gram)
    for word in _LATIN_WORD.findall(norm):
        out.setdefault(word)
    return list(out)


@lru_cache(maxsize=2048)
def query_tokens(query: str) -> tuple[str, ...]:
    """Tokens of a query, every one of which must be in the index: the bigrams of each Chinese run
    (a single character stays itself) and each Latin word or number."""
    norm = normalize(query)
    out: dict[str, None] = {}
    pos = 0
    for m in _CJK_RUN.finditer(norm):
        for word in _LATIN_WORD.findall(norm[pos : m.start()]):
            out.setdefault(word)
        for gram in _bigrams(m.group()):
            out.setdefault(gram)
        pos = m.end()
    for word in _LATIN_WORD.findall(norm[pos:]):
        out.setdefault(word)
    # A lone character between punctuation ("异响，要") is an edge fragment of a longer word in the
    # text; the other tokens already pin the match down, so it is dropped. A query of lone
    # characters only keeps them: the selector then matches them as substrings.
    longer = [t for t in out if len(t) > 1 or not _CJK_RUN.fullmatch(t)]
    return tuple(longer) if longer else tuple(out)


def is_single_cjk(token: str) -> bool:
    return len(token) == 1 and _CJK_RUN.fullmatch(token) is not None


def index_text(*parts: str) -> str:
    """Space-joined index tokens, stored in a column and indexed by the database's full-text engine."""
    return " ".join(index_tokens(" ".join(p for p in parts if p)))
