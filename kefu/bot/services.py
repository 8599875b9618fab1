"""The bot: answers a visitor from the public knowledge base, or says it should hand over.

It searches what the public help center shows (published, public articles) with the knowledge
search (and its semantic option when KEFU_SEMANTIC is on), scores its confidence
(kefu.bot.engine) and decides: answer (offering "没解决/转人工"), offer the best three
("你是不是想问…"), or hand over. Greetings and thanks are answered without searching; a request for
a person, anger or complaint words, a VIP customer, or repeated misses hand over at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.bot import engine
from kefu.bot.engine import Intent
from kefu.bot.models import BotAnswer
from kefu.core.errors import DomainError
from kefu.knowledge import lexicon
from kefu.knowledge.choices import DocKind
from kefu.knowledge.models import SearchDoc
from kefu.knowledge.search import SearchFilter, doc_visible_q, search
from kefu.knowledge.services import article_vote

MAX_QUESTION = 500
ANSWER_CHARS = 220


class ReplyKind:
    ANSWER = "answer"
    CHOICES = "choices"
    HANDOVER = "handover"
    SMALLTALK = "smalltalk"


@dataclass
class BotSource:
    kind: str
    id: int
    title: str
    url: str
    score: float = 0.0


@dataclass
class BotReply:
    kind: str
    text: str
    confidence: float = 0.0
    sources: list[BotSource] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    reason: str = ""
    answer_id: int | None = None


def _smalltalk(kind: Intent) -> str:
    return {
        Intent.GREETING: _("Hello, I am the service bot. What can I do for you? Say 转人工 for a person."),
        Intent.THANKS: _("You are welcome. Anything else I can help with?"),
        Intent.BYE: _("Goodbye, thank you for contacting us."),
    }[kind]


def bot_reply(*, question: str, misses: int = 0, vip: bool = False, conversation_ref: int | None = None,
              log: bool = True) -> BotReply:
    """Decide the bot's reply to `question`. `misses`: how often the bot already failed this
    visitor; `vip`: the visitor is a VIP customer (they go to a person at once). Logs a BotAnswer
    row unless `log` is False. Raises DomainError for an empty or huge question."""
    question = (question or "").strip()
    if not question:
        raise DomainError(code="empty_question", message=_("Ask a question first."))
    if len(question) > MAX_QUESTION:
        raise DomainError(code="question_too_long", message=_("The question is too long."))
    reply = _decide(question=question, misses=misses, vip=vip)
    if log:
        reply.answer_id = _log(question, reply, conversation_ref)
    return reply


def _decide(*, question: str, misses: int, vip: bool) -> BotReply:
    kind = engine.intent(question)
    if kind == Intent.HUMAN:
        return BotReply(ReplyKind.HANDOVER, _("Connecting you to a person."), reason="asked")
    if kind == Intent.NEGATIVE:
        return BotReply(ReplyKind.HANDOVER, _("Sorry for the trouble. A person will take over now."),
                        reason="negative")
    if vip:
        return BotReply(ReplyKind.HANDOVER, _("Connecting you to your service team."), reason="vip")
    if kind == Intent.NOT_SOLVED:
        if misses + 1 >= engine.MAX_MISSES:
            return BotReply(ReplyKind.HANDOVER, _("Sorry I could not solve it. Connecting you to a person."),
                            reason="misses")
        return BotReply(ReplyKind.SMALLTALK, _("Sorry. Could you describe the problem in other words?"),
                        reason="not_solved")
    if kind in (Intent.GREETING, Intent.THANKS, Intent.BYE):
        return BotReply(ReplyKind.SMALLTALK, _smalltalk(kind))
    return answer_from_knowledge(question=question, misses=misses)


def answer_from_knowledge(*, question: str, misses: int = 0) -> BotReply:
    hits = search(user=None, query=question, f=SearchFilter(kinds=(DocKind.ARTICLE,), public_only=True,
                                                           published_only=True), limit=3)
    terms = lexicon.query_terms(question)
    docs = {d.object_id: d for d in SearchDoc.objects.filter(
        doc_visible_q(None, public_only=True, published_only=True), kind=DocKind.ARTICLE,
        object_id__in=[h.object_id for h in hits]).only("object_id", "tokens", "text")}
    ranked = [engine.Scored(h.score, frozenset(docs[h.object_id].tokens.split(" ")))
              for h in hits if h.object_id in docs]
    conf = engine.confidence(terms, ranked)
    sources = [BotSource(h.kind, h.object_id, h.title, h.url, round(h.score, 3)) for h in hits if h.object_id in docs]
    if sources and conf >= engine.ANSWER_THRESHOLD:
        best = sources[0]
        text = docs[best.id].text.strip().replace("\n", " ")
        if len(text) > ANSWER_CHARS:
            text = text[:ANSWER_CHARS].rstrip() + "…"
        return BotReply(ReplyKind.ANSWER, f"{best.title}\n{text}", confidence=conf, sources=sources[:1])
    if sources and conf >= engine.SUGGEST_THRESHOLD:
        return BotReply(ReplyKind.CHOICES, _("Did you mean one of these?"), confidence=conf, sources=sources,
                        choices=[s.title for s in sources])
    if misses + 1 >= engine.MAX_MISSES:
        return BotReply(ReplyKind.HANDOVER, _("Sorry I could not find an answer. Connecting you to a person."),
                        confidence=conf, sources=sources, reason="low_confidence")
    return BotReply(ReplyKind.HANDOVER if not sources else ReplyKind.SMALLTALK,
                    _("I am not sure I understood. A person will help you.") if not sources
                    else _("Sorry. Could you describe the problem in other words?"),
                    confidence=conf, sources=sources, reason="low_confidence")


def _log(question: str, reply: BotReply, conversation_ref: int | None) -> int:
    top = reply.sources[0] if reply.sources else None
    row = BotAnswer.objects.create(
        question=question[:500], kind=reply.kind, confidence=reply.confidence,
        source_kind=top.kind if top else "", source_id=top.id if top else None,
        source_title=top.title[:200] if top else "", reason=reply.reason, conversation_ref=conversation_ref,
        created_at=timezone.now(),
    )
    return row.pk


def bot_mark_unresolved(*, conversation_ref: int) -> BotAnswer | None:
    """The visitor said "没解决": flag the conversation's last answer and count a not-helpful vote
    on its article, so the daily knowledge review sees it. None when the bot had not answered."""
    with transaction.atomic():
        row = (BotAnswer.objects.select_for_update()
               .filter(conversation_ref=conversation_ref, kind=ReplyKind.ANSWER, unresolved=False)
               .order_by("-created_at", "-id").first())
        if row is None:
            return None
        row.unresolved = True
        row.save(update_fields=["unresolved"])
        if row.source_kind == DocKind.ARTICLE and row.source_id:
            try:
                article_vote(actor=None, article_id=row.source_id, helpful=False)
            except DomainError:
                pass  # the article was unpublished since: the flag on the answer stays
    return row
