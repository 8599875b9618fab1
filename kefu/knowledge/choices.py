from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    ARCHIVED = "archived", _("Archived")


class DocKind(models.TextChoices):
    ARTICLE = "article", _("Knowledge article")
    REPLY = "reply", _("Canned reply")
    CASE = "case", _("Case")
    TICKET = "ticket", _("Ticket")


class FeedbackAction(models.TextChoices):
    USED = "used", _("Used")
    HELPFUL = "helpful", _("Helpful")
    NOT_HELPFUL = "not_helpful", _("Not helpful")


# Allowed article transitions: from -> targets.
ARTICLE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ArticleStatus.DRAFT: (ArticleStatus.IN_REVIEW, ArticleStatus.ARCHIVED),
    ArticleStatus.IN_REVIEW: (ArticleStatus.PUBLISHED, ArticleStatus.DRAFT, ArticleStatus.ARCHIVED),
    ArticleStatus.PUBLISHED: (ArticleStatus.ARCHIVED, ArticleStatus.DRAFT),
    ArticleStatus.ARCHIVED: (ArticleStatus.DRAFT,),
}
