from __future__ import annotations

from kefu.accounts.services import api_token_create
from kefu.conftest import login
from kefu.knowledge import services as s
from kefu.knowledge.choices import ArticleStatus
from kefu.tests.factories import TicketFactory


def _publish(author, reviewer, title, body="", **kw):
    a = s.article_create(actor=author, data=s.ArticleInput(title=title, body_md=body, **kw))
    s.article_transition(actor=author, article_id=a.pk, status=ArticleStatus.IN_REVIEW)
    return s.article_transition(actor=reviewer, article_id=a.pk, status=ArticleStatus.PUBLISHED)


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user)[1]}"}


def test_pages_need_login_and_render(client, agent_alice, lead_linda):
    a = _publish(agent_alice, lead_linda, "退款办理流程", "**第一步**")
    assert client.get("/knowledge/").status_code == 302
    login(client, agent_alice)
    r = client.get("/knowledge/?q=退款")
    assert r.status_code == 200 and "<mark>退款</mark>" in r.content.decode()
    r = client.get("/knowledge/?q=退款", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="kb-results")
    body = r.content.decode()
    assert body.lstrip().startswith('<div id="kb-results">') and "<html" not in body
    assert "<strong>第一步</strong>" in client.get(f"/knowledge/articles/{a.pk}/").content.decode()
    for url in ("/knowledge/articles/new/", "/knowledge/replies/", "/knowledge/cases/", "/knowledge/cases/new/"):
        assert client.get(url).status_code == 200, url
    r = client.post("/knowledge/articles/preview/", {"body_md": "# 标题"}, HTTP_HX_REQUEST="true")
    assert "<h1>标题</h1>" in r.content.decode()


def test_article_edit_form_and_outsider_404(client, agent_alice, outsider_charlie):
    login(client, agent_alice)
    r = client.post("/knowledge/articles/new/", {"title": "", "body_md": "x"})
    assert r.status_code == 422
    r = client.post("/knowledge/articles/new/", {"title": "新文章", "body_md": "x"})
    assert r.status_code == 302
    pk = int(r["Location"].rstrip("/").split("/")[-1])
    login(client, outsider_charlie)
    assert client.get(f"/knowledge/articles/{pk}/").status_code == 404


def test_help_center_public_only(client, agent_alice, lead_linda):
    pub = _publish(agent_alice, lead_linda, "发票怎么开", "在订单页申请", is_public=True)
    internal = _publish(agent_alice, lead_linda, "发票内部口径")
    r = client.get("/knowledge/help/?q=发票")
    body = r.content.decode()
    assert "发票怎么开" in body.replace("<mark>", "").replace("</mark>", "") and "内部口径" not in body
    assert client.get(f"/knowledge/help/{internal.pk}/").status_code == 404
    r = client.post(f"/knowledge/help/{pub.pk}/", {"helpful": "1"})
    assert r.status_code == 200
    pub.refresh_from_db()
    assert pub.helpful_count == 1


def test_suggestions_picker_and_save_as_case(client, agent_alice, lead_linda, manager_mike, customer_wang, outsider_charlie):
    _publish(agent_alice, lead_linda, "宽带故障排查")
    reply = s.reply_save(actor=manager_mike, data=s.ReplyInput(title="退款办理", body="{客户姓名}您好", shortcut="tk"))
    t = TicketFactory(actor=agent_alice, title="宽带故障", description="无法上网", customer=customer_wang)
    login(client, agent_alice)
    r = client.get(f"/knowledge/tickets/{t.number}/suggestions/", HTTP_HX_REQUEST="true")
    assert "宽带" in r.content.decode() and 'id="kb-suggestions"' in r.content.decode()
    r = client.get("/knowledge/replies/pick/?q=tkbl&ticket=" + t.number)
    assert "退款办理" in r.content.decode()
    r = client.get(f"/knowledge/replies/{reply.pk}/insert/?ticket={t.number}")
    assert "王小明您好" in r.content.decode()
    r = client.post(f"/knowledge/tickets/{t.number}/save-as-case/", HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and "kefuToast" in r["HX-Trigger"]  # not resolved yet: a toast
    login(client, outsider_charlie)
    assert client.get(f"/knowledge/tickets/{t.number}/suggestions/").status_code == 404


def test_api_search_and_errors(client, agent_alice, lead_linda, django_assert_num_queries):
    _publish(agent_alice, lead_linda, "退款办理流程")
    h = _auth(agent_alice)
    assert client.get("/api/v1/knowledge/search?q=退款").status_code == 401
    r = client.get("/api/v1/knowledge/search?q=退钱", **h)
    assert r.status_code == 200 and r.json()[0]["title"] == "退款办理流程"
    with django_assert_num_queries(5):  # token, term statistics, collection size, candidates, tickets
        client.get("/api/v1/knowledge/search?q=退款", **h)
    r = client.get("/api/v1/knowledge/search?q=", **h)
    assert r.status_code == 422 and r.json()["code"]
    r = client.get("/api/v1/knowledge/search?q=x&kind=bogus", **h)
    assert r.status_code == 422
    r = client.post("/api/v1/knowledge/feedback", {"kind": "article", "object_id": 999, "action": "used"},
                    content_type="application/json", **h)
    assert r.status_code == 404 and r.json()["code"] == "knowledge_not_found"
    r = client.get("/api/v1/knowledge/suggestions/GD00000000-000000", **h)
    assert r.status_code == 404


def test_page_filters_by_category_team_and_dates(client, agent_alice, lead_linda, manager_mike, category_billing, front_team):
    from datetime import timedelta

    from django.utils import timezone

    from kefu.knowledge.models import Article, SearchDoc

    _publish(manager_mike, manager_mike, "退款到账时间", category=category_billing)  # no team: everyone's
    other = _publish(manager_mike, manager_mike, "退款办理流程")
    s.reply_save(actor=lead_linda, data=s.ReplyInput(title="退款安抚话术", body="非常抱歉", team=front_team))
    old = timezone.now() - timedelta(days=40)
    Article.objects.filter(pk=other.pk).update(updated_at=old)
    SearchDoc.objects.filter(kind="article", object_id=other.pk).update(updated_at=old)
    login(client, agent_alice)

    def titles(query: str) -> set[str]:
        r = client.get(f"/knowledge/?q=退款&{query}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="kb-results")
        assert r.status_code == 200
        body = r.content.decode()
        return {t for t in ("退款到账时间", "退款办理流程", "退款安抚话术") if t in body.replace("<mark>", "").replace("</mark>", "")}

    assert titles("") == {"退款到账时间", "退款办理流程", "退款安抚话术"}
    assert titles(f"category={category_billing.pk}") == {"退款到账时间"}
    assert titles(f"team={front_team.pk}") == {"退款安抚话术"}
    today = timezone.localdate()
    assert titles(f"updated_from={today - timedelta(days=7)}") == {"退款到账时间", "退款安抚话术"}
    assert titles(f"updated_to={today - timedelta(days=30)}") == {"退款办理流程"}
    # Bad input: a clear message, never a 500; the bad field narrows nothing.
    r = client.get(f"/knowledge/?q=退款&updated_from={today}&updated_to={today - timedelta(days=1)}",
                   HTTP_HX_REQUEST="true", HTTP_HX_TARGET="kb-results")
    assert r.status_code == 200 and "结束日期早于开始日期。" in r.content.decode()  # zh-hans by default
    r = client.get("/knowledge/?q=退款&updated_from=2026-13-45&category=abc")
    assert r.status_code == 200 and "退款到账时间" in r.content.decode().replace("<mark>", "").replace("</mark>", "")
