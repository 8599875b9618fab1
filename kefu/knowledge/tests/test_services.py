from __future__ import annotations

from datetime import date

import pytest

from kefu.core.errors import DomainError
from kefu.knowledge import services as s
from kefu.knowledge.choices import ArticleStatus, CaseStatus
from kefu.knowledge.markup import pinyin_keys, render_markdown, text_diff
from kefu.knowledge.models import ArticleVersion, CannedReply, SearchDoc
from kefu.knowledge.selectors import articles_due_for_review, reply_lookup
from kefu.tests.factories import TicketFactory
from kefu.tickets.services import ticket_change_status


def test_markdown_is_sanitised():
    html = render_markdown("**粗** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>")
    assert "<strong>粗</strong>" in html
    assert "script" not in html and "onerror" not in html and "javascript" not in html


def test_pinyin_keys():
    assert pinyin_keys("退款办理") == ("tkbl", "tuikuanbanli")


def test_article_lifecycle_versions_and_review(agent_alice, lead_linda):
    a = s.article_create(actor=agent_alice, data=s.ArticleInput(title="退款办理流程", body_md="第一步"))
    assert a.status == ArticleStatus.DRAFT and a.version == 1
    a = s.article_update(actor=agent_alice, article_id=a.pk, changes={"body_md": "第一步\n第二步"}, note="补充")
    assert a.version == 2
    versions = list(ArticleVersion.objects.filter(article=a).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert {"op": "+", "line": "第二步"} in text_diff(versions[0].body_md, versions[1].body_md)
    s.article_transition(actor=agent_alice, article_id=a.pk, status=ArticleStatus.IN_REVIEW)
    with pytest.raises(DomainError) as e:
        s.article_transition(actor=agent_alice, article_id=a.pk, status=ArticleStatus.PUBLISHED)
    assert e.value.code == "knowledge_reviewer_required"
    a = s.article_transition(actor=lead_linda, article_id=a.pk, status=ArticleStatus.PUBLISHED)
    assert a.published_at and a.reviewed_by == lead_linda
    with pytest.raises(DomainError) as e:
        s.article_transition(actor=lead_linda, article_id=a.pk, status=ArticleStatus.IN_REVIEW)
    assert e.value.code == "knowledge_invalid_transition"
    assert SearchDoc.objects.get(kind="article", object_id=a.pk).status == "published"


def test_draft_invisible_to_other_agent(agent_alice, teammate_bob, qa_quinn):
    a = s.article_create(actor=agent_alice, data=s.ArticleInput(title="草稿"))
    with pytest.raises(DomainError) as e:
        s.article_update(actor=teammate_bob, article_id=a.pk, changes={"title": "x"})
    assert e.value.status == 404
    with pytest.raises(DomainError) as e:
        s.article_create(actor=qa_quinn, data=s.ArticleInput(title="x"))
    assert e.value.status == 403
    with pytest.raises(DomainError) as e:
        s.article_create(actor=agent_alice, data=s.ArticleInput(title="  "))
    assert e.value.fields == {"title": ["必填。"]} or "title" in e.value.fields


def test_due_for_review(agent_alice, lead_linda):
    a = s.article_create(actor=agent_alice, data=s.ArticleInput(title="资费政策", review_by=date(2025, 1, 1)))
    s.article_transition(actor=agent_alice, article_id=a.pk, status=ArticleStatus.IN_REVIEW)
    s.article_transition(actor=lead_linda, article_id=a.pk, status=ArticleStatus.PUBLISHED)
    assert [x.pk for x in articles_due_for_review(user=agent_alice, today=date(2025, 1, 2))] == [a.pk]
    assert articles_due_for_review(user=lead_linda, today=date(2025, 1, 2)) == []
    assert len(articles_due_for_review(user=lead_linda, today=date(2025, 1, 2), all_owners=True)) == 1
    s.article_mark_reviewed(actor=agent_alice, article_id=a.pk, next_review=date(2025, 6, 1))
    assert articles_due_for_review(user=agent_alice, today=date(2025, 1, 2)) == []


def test_votes_once_per_user_and_portal(agent_alice, lead_linda, teammate_bob):
    a = s.article_create(actor=agent_alice, data=s.ArticleInput(title="发票", is_public=True))
    with pytest.raises(DomainError):
        s.article_vote(actor=None, article_id=a.pk, helpful=True)  # not published yet
    s.article_transition(actor=lead_linda, article_id=a.pk, status=ArticleStatus.PUBLISHED) if False else None
    s.article_transition(actor=agent_alice, article_id=a.pk, status=ArticleStatus.IN_REVIEW)
    s.article_transition(actor=lead_linda, article_id=a.pk, status=ArticleStatus.PUBLISHED)
    s.article_vote(actor=teammate_bob, article_id=a.pk, helpful=True)
    s.article_vote(actor=teammate_bob, article_id=a.pk, helpful=False)
    a = s.article_vote(actor=None, article_id=a.pk, helpful=True)
    assert (a.helpful_count, a.not_helpful_count) == (1, 1)


def test_attachment_checked(agent_alice):
    a = s.article_create(actor=agent_alice, data=s.ArticleInput(title="附件"))
    att = s.article_attach(actor=agent_alice, article_id=a.pk, name="说明.txt", content="你好".encode())
    assert att.size == 6 and att.content_type == "text/plain"
    with pytest.raises(DomainError):
        s.article_attach(actor=agent_alice, article_id=a.pk, name="x.html", content=b"<script>")


def test_canned_reply_scope_fill_and_count(agent_alice, lead_linda, manager_mike, outsider_charlie, customer_wang, front_team):
    with pytest.raises(DomainError) as e:
        s.reply_save(actor=agent_alice, data=s.ReplyInput(title="退款办理", body="x"))
    assert e.value.status == 403
    with pytest.raises(DomainError):
        s.reply_save(actor=lead_linda, data=s.ReplyInput(title="退款办理", body="x"))  # global needs a manager
    r = s.reply_save(actor=lead_linda, data=s.ReplyInput(
        title="退款办理", body="{客户姓名}您好，工单{工单号}已由{处理人}受理。", shortcut="tk", team=front_team))
    with pytest.raises(DomainError) as e:
        s.reply_save(actor=lead_linda, data=s.ReplyInput(title="另一条", body="x", shortcut="TK", team=front_team))
    assert e.value.code == "canned_reply_shortcut_taken"
    g = s.reply_save(actor=manager_mike, data=s.ReplyInput(title="问候语", body="您好"))
    assert [x.pk for x in reply_lookup(user=agent_alice, typed="tkbl")] == [r.pk]
    assert [x.pk for x in reply_lookup(user=agent_alice, typed="tuikuan")] == [r.pk]
    assert [x.pk for x in reply_lookup(user=agent_alice, typed="/tk")] == [r.pk]
    assert [x.pk for x in reply_lookup(user=agent_alice, typed="退款")] == [r.pk]
    assert [x.pk for x in reply_lookup(user=outsider_charlie, typed="")] == [g.pk]
    t = TicketFactory(actor=agent_alice, customer=customer_wang)
    text = s.reply_fill(actor=agent_alice, reply_id=r.pk, ticket_number=t.number)
    assert text == f"王小明您好，工单{t.number}已由艾丽丝受理。"
    assert CannedReply.objects.get(pk=r.pk).usage_count == 1
    assert SearchDoc.objects.get(kind="reply", object_id=r.pk).used_count == 1
    with pytest.raises(DomainError) as e:
        s.reply_fill(actor=outsider_charlie, reply_id=r.pk)
    assert e.value.status == 404


def test_case_from_resolved_ticket_and_review(agent_alice, lead_linda, outsider_charlie, customer_wang):
    t = TicketFactory(actor=agent_alice, title="重复扣费", description="客户说被扣了两次钱", customer=customer_wang)
    with pytest.raises(DomainError) as e:
        s.case_save_from_ticket(actor=agent_alice, ticket_number=t.number)
    assert e.value.code == "case_ticket_not_resolved"
    ticket_change_status(actor=agent_alice, number=t.number, status="in_progress")
    ticket_change_status(actor=agent_alice, number=t.number, status="resolved")
    c = s.case_save_from_ticket(actor=agent_alice, ticket_number=t.number)
    assert c.status == CaseStatus.IN_REVIEW and c.source_ticket_id == t.pk and c.situation == "客户说被扣了两次钱"
    with pytest.raises(DomainError) as e:
        s.case_save_from_ticket(actor=agent_alice, ticket_number=t.number)
    assert e.value.code == "case_exists_for_ticket"
    with pytest.raises(DomainError) as e:
        s.case_review(actor=agent_alice, case_id=c.pk, approve=True)
    assert e.value.status == 403
    with pytest.raises(DomainError):
        s.case_review(actor=outsider_charlie, case_id=c.pk, approve=True)
    c = s.case_review(actor=lead_linda, case_id=c.pk, approve=True, note="好")
    assert c.status == CaseStatus.PUBLISHED and c.reviewed_by == lead_linda
    c = s.case_update(actor=agent_alice, case_id=c.pk, changes={"lessons": "先查流水"})
    assert c.status == CaseStatus.IN_REVIEW
