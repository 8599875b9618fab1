from __future__ import annotations

import pytest

from kefu.bot import engine
from kefu.bot.engine import Intent
from kefu.bot.models import BotAnswer
from kefu.bot.services import ReplyKind, bot_mark_unresolved, bot_reply
from kefu.core.errors import DomainError
from kefu.knowledge import services as ks
from kefu.knowledge.choices import ArticleStatus
from kefu.knowledge.models import Article


@pytest.mark.parametrize(("text", "intent"), [
    ("转人工", Intent.HUMAN), ("我要找人工客服", Intent.HUMAN), ("你们这什么破服务，我要投诉", Intent.NEGATIVE),
    ("你好", Intent.GREETING), ("在吗？", Intent.GREETING), ("谢谢！", Intent.THANKS), ("再见", Intent.BYE),
    ("没解决", Intent.NOT_SOLVED), ("你好，我的退款什么时候到账", Intent.QUESTION), ("宽带断网了", Intent.QUESTION),
])
def test_intent(text, intent):
    assert engine.intent(text) == intent


def test_confidence_is_coverage_times_margin():
    terms = (("退款", 1.0), ("到账", 1.0))
    full = engine.Scored(10.0, frozenset({"退款", "到账"}))
    half = engine.Scored(5.0, frozenset({"退款"}))
    assert engine.confidence(terms, [full]) == 1.0
    assert engine.confidence(terms, [half, full]) < engine.confidence(terms, [full, half])
    assert engine.confidence(terms, []) == 0.0


def _publish(author, reviewer, title, body, public=True):
    a = ks.article_create(actor=author, data=ks.ArticleInput(title=title, body_md=body, is_public=public))
    ks.article_transition(actor=author, article_id=a.pk, status=ArticleStatus.IN_REVIEW)
    return ks.article_transition(actor=reviewer, article_id=a.pk, status=ArticleStatus.PUBLISHED)


def test_answers_from_public_articles_and_a_not_solved_flags_the_article(agent_alice, lead_linda):
    art = _publish(agent_alice, lead_linda, "退款到账时间", "退款申请通过后，款项在三个工作日内退回原支付账户。")
    _publish(agent_alice, lead_linda, "发票开具", "电子发票在订单完成后开具。")
    _publish(agent_alice, lead_linda, "内部退款口径", "内部资料：退款到账时间的内部口径。", public=False)
    reply = bot_reply(question="退款多久到账", conversation_ref=7)
    assert reply.kind == ReplyKind.ANSWER, reply
    assert reply.sources[0].id == art.pk and "三个工作日" in reply.text
    assert BotAnswer.objects.get(pk=reply.answer_id).source_id == art.pk
    flagged = bot_mark_unresolved(conversation_ref=7)
    assert flagged is not None and flagged.unresolved
    assert Article.objects.get(pk=art.pk).not_helpful_count == 1


def test_hands_over_on_request_anger_vip_and_unknown_questions(db):
    assert bot_reply(question="转人工").reason == "asked"
    assert bot_reply(question="垃圾服务，我要投诉").reason == "negative"
    assert bot_reply(question="怎么修改密码", vip=True).reason == "vip"
    unknown = bot_reply(question="火星上的天气怎么样")
    assert unknown.kind == ReplyKind.HANDOVER and unknown.reason == "low_confidence"
    assert bot_reply(question="没解决", misses=1).reason == "misses"
    assert bot_reply(question="你好").kind == ReplyKind.SMALLTALK


def test_empty_and_huge_questions_are_refused(db):
    for q in ("", "问" * 501):
        with pytest.raises(DomainError):
            bot_reply(question=q)
