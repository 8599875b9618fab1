"""The one search over articles, canned replies, cases and tickets, with visibility built in.

Articles, replies and cases: the database pre-ranks the visible documents by BM25 over the postings
of the query's most selective tokens (kefu.knowledge.candidates, the same SQL on SQLite and
PostgreSQL); the best few dozen are scored exactly here over all the query's tokens
(kefu.knowledge.ranking), so both engines rank identically. Agents' feedback (used / helpful)
boosts a document a little. Tickets come through their own index (kefu.tickets.selectors.fulltext_q).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, Q
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from kefu.accounts.models import User
from kefu.knowledge import lexicon, semantic
from kefu.knowledge.access import is_reviewer, is_staff_user
from kefu.knowledge.candidates import MIN_DEPTH, best_docs, summed_terms
from kefu.knowledge.choices import ArticleStatus, CaseStatus, DocKind
from kefu.knowledge.models import SearchDoc, SearchTerm
from kefu.knowledge.ranking import Candidate, bm25_scores, feedback_boost
from kefu.tickets.access import visible_tickets_q
from kefu.tickets.models import Ticket
from kefu.tickets.selectors import fulltext_q

MAX_QUERY = 2000
TICKET_CAP = 50
SNIPPET = 90
_EMPTY = mark_safe("")  # noqa: S308 - a constant


@dataclass
class SearchFilter:
    kinds: tuple[str, ...] = (DocKind.ARTICLE, DocKind.REPLY, DocKind.CASE, DocKind.TICKET)
    category_id: int | None = None
    team_id: int | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    public_only: bool = False
    published_only: bool = False


@dataclass
class SearchHit:
    kind: str
    object_id: int
    title: str
    title_html: SafeString
    snippet_html: SafeString
    score: float
    updated_at: datetime
    url: str
    status: str = ""


def doc_visible_q(user: User | None, *, public_only: bool = False, published_only: bool = False) -> Q:
    """SearchDoc rows `user` may see (the same rules as kefu.knowledge.access), or the public help center."""
    public = Q(kind=DocKind.ARTICLE, status=ArticleStatus.PUBLISHED, is_public=True)
    if public_only or user is None:
        return public
    if not is_staff_user(user):
        return Q(pk__in=[])
    articles = Q(kind=DocKind.ARTICLE, status=ArticleStatus.PUBLISHED)
    cases = Q(kind=DocKind.CASE, status=CaseStatus.PUBLISHED)
    replies = Q(kind=DocKind.REPLY, status="active")
    if not user.is_supervising:
        team = Q(team_id_ref__isnull=True)
        if user.team_id:
            team |= Q(team_id_ref=user.team_id)
        replies &= team
    if not published_only:
        articles |= Q(kind=DocKind.ARTICLE, owner_id_ref=user.pk) & ~Q(status=ArticleStatus.ARCHIVED)
        cases |= Q(kind=DocKind.CASE, owner_id_ref=user.pk) & ~Q(status=CaseStatus.ARCHIVED)
        if is_reviewer(user):
            articles |= Q(kind=DocKind.ARTICLE, status=ArticleStatus.IN_REVIEW)
            cases |= Q(kind=DocKind.CASE, status=CaseStatus.IN_REVIEW)
    return articles | cases | replies


# --- highlighting ------------------------------------------------------------------------------------


def _simplified_same_length(text: str) -> str:
    """Simplified text with the original's positions (phrase conversion when it keeps the length)."""
    whole = lexicon.simplify(text)
    if len(whole) == len(text):
        return whole
    out = []
    for ch in text:
        s = lexicon.simplify(ch)
        out.append(s if len(s) == 1 else ch.lower())
    return "".join(out)


def highlight(text: str, words: list[str], *, window: int | None = None) -> SafeString:
    """HTML-escaped `text` with every occurrence of `words` in <mark>, simplified and traditional alike.
    With `window`, a snippet of about that many characters around the first match."""
    words = sorted({w for w in words if w}, key=len, reverse=True)
    simple = _simplified_same_length(text)
    spans: list[tuple[int, int]] = []
    if words:
        pattern = re.compile("|".join(re.escape(w) for w in words))
        spans = [(m.start(), m.end()) for m in pattern.finditer(simple)]
    start, end = 0, len(text)
    if window is not None and len(text) > window:
        first = spans[0][0] if spans else 0
        start = max(0, first - window // 3)
        end = min(len(text), start + window)
    out, pos = [], start
    for a, b in spans:
        if b <= start or a >= end or a < pos:
            continue
        out.append(html.escape(text[pos:a]))
        out.append("<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:end]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + "".join(out) + suffix)  # noqa: S308 - every piece is escaped above


def highlight_words(query: str) -> list[str]:
    """What to mark for a query: its words and synonyms (the multi-character tokens), else its characters."""
    terms = lexicon.query_terms(query[:MAX_QUERY])
    strong = [t for t, _w in terms if not lexicon.is_unigram(t)]
    return strong or [t for t, _w in terms]


# --- search -----------------------------------------------------------------------------------------


def _url(kind: str, object_id: int, public: bool, number: str = "") -> str:
    if kind == DocKind.TICKET:
        return reverse("tickets:detail", args=[number])
    if kind == DocKind.ARTICLE:
        return reverse("knowledge:help_article" if public else "knowledge:article", args=[object_id])
    if kind == DocKind.CASE:
        return reverse("knowledge:case", args=[object_id])
    return reverse("knowledge:replies") + f"#reply-{object_id}"


def collection_stats(terms: tuple[tuple[str, float], ...]) -> tuple[dict[str, int], int, float]:
    """Document frequency of each query term over the whole collection (SearchTerm), the number of
    documents and their average length: BM25's IDF and length normalisation. Two small queries."""
    keys = {t: t[:64] for t, _w in terms}
    stored = dict(SearchTerm.objects.filter(term__in=set(keys.values())).values_list("term", "df"))
    df = {t: stored.get(k, 0) for t, k in keys.items()}
    agg = SearchDoc.objects.aggregate(n=Count("id"), avg=Avg("length"))
    return df, agg["n"] or 0, float(agg["avg"] or 1.0)


def search(*, user: User | None, query: str, f: SearchFilter | None = None, limit: int = 20) -> list[SearchHit]:
    """Ranked hits for `query` that `user` may see (user None or f.public_only: the public help center).
    Four queries: term statistics, collection size, the pre-ranked documents, the tickets (on
    PostgreSQL one more for a word with few matching tickets, see kefu.tickets.selectors.fulltext_q)."""
    f = f or SearchFilter()
    query = (query or "").strip()[:MAX_QUERY]
    if not query:
        return []
    lexicon.lexicon()
    terms = lexicon.query_terms(query)
    if not terms:
        return []
    public = f.public_only or user is None
    # (hit, text for its snippet): highlighting is the costly part per hit, done for the page only.
    found: list[tuple[SearchHit, str]] = []

    doc_kinds = [k for k in f.kinds if k != DocKind.TICKET]
    if public:
        doc_kinds = [DocKind.ARTICLE]
    if doc_kinds:
        base = SearchDoc.objects.filter(doc_visible_q(user, public_only=public, published_only=f.published_only),
                                        kind__in=doc_kinds)
        if f.category_id:
            base = base.filter(category_id_ref=f.category_id)
        if f.team_id:
            base = base.filter(team_id_ref=f.team_id)
        if f.updated_from:
            base = base.filter(updated_at__gte=f.updated_from)
        if f.updated_to:
            base = base.filter(updated_at__lt=f.updated_to)
        df, n_docs, avg_len = collection_stats(terms)
        # The database pre-ranks by BM25 over the most selective tokens' postings; the best few
        # dozen are read whole and scored exactly here (kefu.knowledge.candidates).
        summed = summed_terms(terms, df, n_docs=n_docs)
        rows = best_docs(base, summed, avg_len=avg_len, depth=max(MIN_DEPTH, 2 * limit, semantic.rerank_depth(limit)), fields=(
            "kind", "object_id", "title", "text", "tokens", "length", "status", "updated_at",
            "used_count", "helpful_count", "not_helpful_count"))
        if rows:
            cands = [Candidate(key=r, tokens=r.tokens.split(" "), length=r.length,
                               boost=feedback_boost(used=r.used_count, helpful=r.helpful_count,
                                                    not_helpful=r.not_helpful_count)) for r in rows]
            scores = bm25_scores(terms, cands, n_docs=n_docs, avg_len=avg_len, df=df)
            for sc, r in zip(scores, rows, strict=True):
                if sc > 0:
                    found.append((SearchHit(kind=r.kind, object_id=r.object_id, title=r.title, title_html=_EMPTY,
                                            snippet_html=_EMPTY, score=sc, updated_at=r.updated_at,
                                            url="", status=r.status), r.text))
        # Optional (KEFU_SEMANTIC and the `semantic` extra): the lexical candidates re-ranked by a
        # fused lexical + e5 score; without it nothing changes (kefu.knowledge.semantic).
        if semantic.enabled() and found:
            texts = {(h.kind, h.object_id): t for h, t in found}
            found = [(h, texts[(h.kind, h.object_id)]) for h in semantic.fuse(query, [h for h, _t in found])]

    if DocKind.TICKET in f.kinds and not public and user is not None:
        found.extend(_ticket_hits(user=user, query=query, terms=terms, f=f))
    found.sort(key=lambda ht: (-ht[0].score, ht[0].kind, -ht[0].object_id))
    words = highlight_words(query)
    hits = []
    for hit, text in found[:limit]:
        hit.title_html = highlight(hit.title, words)
        hit.snippet_html = highlight(text, words, window=SNIPPET)
        if not hit.url:
            hit.url = _url(hit.kind, hit.object_id, public)
        hits.append(hit)
    return hits


def _ticket_hits(*, user: User, query: str, terms: tuple[tuple[str, float], ...],
                 f: SearchFilter) -> list[tuple[SearchHit, str]]:
    """Tickets through their own index (every query word must be there), newest first, ranked by BM25
    over their tokens."""
    simple = lexicon.simplify(query)
    qs = Ticket.objects.filter(visible_tickets_q(user)).filter(fulltext_q(simple))
    if f.category_id:
        qs = qs.filter(category_id=f.category_id)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.updated_from:
        qs = qs.filter(updated_at__gte=f.updated_from)
    if f.updated_to:
        qs = qs.filter(updated_at__lt=f.updated_to)
    rows = list(qs.only("id", "number", "title", "description", "search_text", "status", "updated_at")
                .order_by("-updated_at", "-id")[:TICKET_CAP])
    if not rows:
        return []
    toks = [t.search_text.split(" ") for t in rows]
    cands = [Candidate(key=t, tokens=tt, length=len(tt)) for t, tt in zip(rows, toks, strict=True)]
    avg = sum(c.length for c in cands) / len(cands)
    scores = bm25_scores(terms, cands, n_docs=max(len(rows) * 20, 1000), avg_len=avg)
    return [
        (SearchHit(kind=DocKind.TICKET, object_id=t.pk, title=f"{t.number} {t.title}", title_html=_EMPTY,
                   snippet_html=_EMPTY, score=s if s > 0 else 0.01, updated_at=t.updated_at,
                   url=_url(DocKind.TICKET, t.pk, False, t.number), status=t.status), t.description)
        for t, s in zip(rows, scores, strict=True)
    ]


def suggestions_for_text(*, user: User, text: str, limit: int = 5) -> list[SearchHit]:
    """The top published articles, active canned replies and published cases for a ticket's text."""
    f = SearchFilter(kinds=(DocKind.ARTICLE, DocKind.REPLY, DocKind.CASE), published_only=True)
    return search(user=user, query=text, f=f, limit=limit)
