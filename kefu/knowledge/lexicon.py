"""Search text processing for knowledge documents, on top of kefu.core.text.

Tokens of a document (with repeats, for term frequency): jieba's search-mode words, CJK bigrams,
CJK single characters and Latin words, all after NFKC, lower-case and traditional → simplified
conversion (OpenCC's t2s table), so 退款辦理 and 退款办理 are the same text to the index.

A query is split the same way, then widened with synonyms (退钱 → 退款, 返款). Synonyms are applied
at query time only, so editing a synonym group in the admin needs no re-index. The user dictionary
(product and policy terms) is fed to jieba; bigrams keep recall whatever jieba decides.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

import jieba
import opencc

from kefu.core.text import _CJK_RUN, _LATIN_WORD, _TOKEN_OK, _ensure_initialized, normalize
from kefu.knowledge.models import DictionaryWord, SynonymGroup

_t2s = opencc.OpenCC("t2s")
_lock = threading.Lock()
LEXICON_TTL = 60.0  # seconds: other processes see admin edits within this time

# Built-in synonym groups every install starts with; the admin adds more (SynonymGroup).
DEFAULT_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("退款", "退钱", "返款", "退费"),
    ("发票", "票据"),
    ("快递", "物流", "包裹"),
    ("密码", "口令"),
    ("宽带", "网络", "上网"),
    ("投诉", "举报"),
)


@dataclass
class Lexicon:
    synonyms: list[tuple[str, ...]] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    loaded_at: float = 0.0


_lexicon: Lexicon | None = None


# Variant characters that OpenCC keeps apart but people type for each other (帐户 / 账户). Folded on
# both the index and the query side, so either spelling finds both.
_FOLD = str.maketrans({"帐": "账"})


def simplify(text: str) -> str:
    """Normalised (NFKC, lower-case) simplified Chinese, common variants folded."""
    norm = normalize(text)
    return _t2s.convert(norm).translate(_FOLD) if norm else norm


def lexicon() -> Lexicon:
    """Synonyms and user-dictionary words from the database, cached per process for LEXICON_TTL."""
    global _lexicon
    lex = _lexicon
    if lex is not None and time.monotonic() - lex.loaded_at < LEXICON_TTL:
        return lex
    with _lock:
        groups = [tuple(simplify(w) for w in words) for words in DEFAULT_SYNONYMS]
        for g in SynonymGroup.objects.filter(is_active=True).only("words"):
            words = tuple(dict.fromkeys(simplify(w) for w in g.word_list))
            if len(words) > 1:
                groups.append(words)
        new_words = set(DictionaryWord.objects.values_list("word", flat=True))
        _ensure_initialized()
        old = _lexicon.words if _lexicon else set()
        for w in new_words - old:
            jieba.add_word(simplify(w))
        for w in old - new_words:
            jieba.del_word(simplify(w))
        if new_words != old:
            query_terms.cache_clear()
        _lexicon = Lexicon(synonyms=groups, words=new_words, loaded_at=time.monotonic())
        return _lexicon


def lexicon_reset() -> None:
    """Reload on next use (called on commit by the services that edit synonyms or the dictionary)."""
    global _lexicon
    if _lexicon is not None:
        _lexicon = Lexicon(synonyms=_lexicon.synonyms, words=_lexicon.words, loaded_at=0.0)
    query_terms.cache_clear()


def _grams(run: str) -> list[str]:
    out = list(run)
    out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def doc_tokens(text: str) -> list[str]:
    """Index tokens with repeats (term frequency counts)."""
    _ensure_initialized()
    s = simplify(text)
    out: list[str] = []
    for tok in jieba.cut_for_search(s):
        tok = tok.strip()
        # Single characters and two-character words come from the n-grams below.
        if len(tok) > 2 and _TOKEN_OK.search(tok) and _CJK_RUN.fullmatch(tok):
            out.append(tok)
    for run in _CJK_RUN.findall(s):
        out.extend(_grams(run))
    out.extend(_LATIN_WORD.findall(s))
    return out


def is_unigram(tok: str) -> bool:
    return len(tok) == 1 and _CJK_RUN.fullmatch(tok) is not None


@lru_cache(maxsize=4096)
def query_terms(query: str) -> tuple[tuple[str, float], ...]:
    """(token, weight) pairs of a query, synonyms added with a lower weight. Repeats in the query
    count (a long ticket text stresses what it repeats)."""
    s = simplify(query)
    weights: dict[str, float] = {}
    for tok in doc_tokens(s):
        weights[tok] = weights.get(tok, 0.0) + (UNIGRAM_WEIGHT if is_unigram(tok) else 1.0)
    for group in (_lexicon.synonyms if _lexicon else [])[:]:
        present = [w for w in group if w in s]
        if not present:
            continue
        for w in group:
            if w in s:
                continue
            for tok in doc_tokens(w):
                if not is_unigram(tok):
                    weights.setdefault(tok, SYNONYM_WEIGHT)
    return tuple(weights.items())


UNIGRAM_WEIGHT = 1.0
SYNONYM_WEIGHT = 0.8


def strong_terms(terms: tuple[tuple[str, float], ...]) -> list[str]:
    """Tokens that select candidates: everything but single characters, unless that is all there is."""
    strong = [t for t, _w in terms if not is_unigram(t)]
    return strong or [t for t, _w in terms]
