"""Reads of knowledge, visibility built in (kefu.knowledge.access)."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from kefu.accounts.models import User
from kefu.core.pagination import Page, keyset_page
from kefu.knowledge.access import is_reviewer, visible_articles_q, visible_cases_q, visible_replies_q
from kefu.knowledge.choices import ArticleStatus, CaseStatus
from kefu.knowledge.markup import pinyin_keys
from kefu.knowledge.models import Article, ArticleVersion, CannedReply, Case


def article_list_visible_to(*, user: User, status: str = "", category_id: int | None = None,
                            cursor: str | None = None, limit: int = 25) -> Page:
    qs = Article.objects.filter(visible_articles_q(user)).select_related("owner", "category")
    qs = qs.filter(status=status) if status else qs.exclude(status=ArticleStatus.ARCHIVED)
    if category_id:
        qs = qs.filter(category_id=category_id)
    return keyset_page(qs, ordering=("-updated_at", "-id"), cursor=cursor, limit=max(1, min(limit, 100)))


def article_review_queue(*, user: User) -> list[Article]:
    """Articles waiting for a reviewer (empty for non-reviewers)."""
    if not is_reviewer(user):
        return []
    return list(Article.objects.filter(status=ArticleStatus.IN_REVIEW).select_related("owner", "category")
                .order_by("updated_at", "id")[:200])


def articles_due_for_review(*, user: User, today: date | None = None, all_owners: bool = False) -> list[Article]:
    """Published articles whose review-by date has come: the owner's daily list (a reviewer may see all)."""
    today = today or timezone.localdate()
    qs = Article.objects.filter(status=ArticleStatus.PUBLISHED, review_by__lte=today).select_related("owner", "category")
    if not (all_owners and is_reviewer(user)):
        qs = qs.filter(owner_id=user.pk)
    return list(qs.order_by("review_by", "id")[:200])


def article_versions(*, article: Article) -> list[ArticleVersion]:
    return list(ArticleVersion.objects.filter(article=article).select_related("author"))


def public_articles(*, category_id: int | None = None, limit: int = 50) -> list[Article]:
    qs = Article.objects.filter(status=ArticleStatus.PUBLISHED, is_public=True).select_related("category")
    if category_id:
        qs = qs.filter(category_id=category_id)
    return list(qs.order_by("-helpful_count", "-published_at", "-id")[:limit])


def public_article(*, article_id: int) -> Article | None:
    return Article.objects.filter(status=ArticleStatus.PUBLISHED, is_public=True, pk=article_id).first()


def reply_list_visible_to(*, user: User, include_inactive: bool = False) -> QuerySet[CannedReply]:
    qs = CannedReply.objects.filter(visible_replies_q(user)).select_related("team", "category")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("scenario", "-usage_count", "id")


def reply_lookup(*, user: User, typed: str, limit: int = 8) -> list[CannedReply]:
    """The picker: replies whose shortcut or pinyin initials start with what was typed, whose title
    contains it, or whose full pinyin starts with it ("tkbl", "tuikuan", "退款" all find 退款办理).
    Shortcut hits first, then by use."""
    typed = (typed or "").strip().lstrip("/").lower()[:64]
    qs = reply_list_visible_to(user=user)
    if typed:
        initials, full = pinyin_keys(typed)
        q = Q(shortcut__startswith=typed) | Q(title__icontains=typed)
        if initials and typed.isascii():
            q |= Q(pinyin_initials__startswith=initials) | Q(pinyin_full__startswith=full)
        qs = qs.filter(q)
    rows = list(qs.order_by("-usage_count", "id")[:200])
    rows.sort(key=lambda r: (not (typed and r.shortcut.startswith(typed)), -r.usage_count, r.pk))
    return rows[:limit]


def case_list_visible_to(*, user: User, status: str = "", cursor: str | None = None, limit: int = 25) -> Page:
    qs = Case.objects.filter(visible_cases_q(user)).select_related("created_by", "category", "source_ticket")
    qs = qs.filter(status=status) if status else qs.exclude(status=CaseStatus.ARCHIVED)
    return keyset_page(qs, ordering=("-updated_at", "-id"), cursor=cursor, limit=max(1, min(limit, 100)))


def case_review_queue(*, user: User) -> list[Case]:
    if not is_reviewer(user):
        return []
    qs = Case.objects.filter(status=CaseStatus.IN_REVIEW).select_related("created_by", "source_ticket")
    if not user.is_supervising:
        qs = qs.filter(Q(team_id=user.team_id) | Q(team__isnull=True))
    return list(qs.order_by("updated_at", "id")[:200])
