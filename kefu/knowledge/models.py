from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.knowledge.choices import ArticleStatus, CaseStatus, DocKind, FeedbackAction


class Article(models.Model):
    """A knowledge article (知识). Markdown in, sanitised HTML out (kefu.knowledge.markup)."""

    title = models.CharField(_("title"), max_length=200)
    body_md = models.TextField(_("body (Markdown)"), blank=True)
    body_html = models.TextField(editable=False, blank=True)
    category = models.ForeignKey(
        "tickets.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="knowledge_articles"
    )
    status = models.CharField(_("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    is_public = models.BooleanField(_("public (help center)"), default=False)
    review_by = models.DateField(_("review by"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    helpful_count = models.PositiveIntegerField(default=0)
    not_helpful_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        indexes = [
            models.Index(fields=["status", "-updated_at", "-id"], name="kb_article_status_idx"),
            # The daily "due for review" list per owner.
            models.Index(
                fields=["owner", "review_by"],
                name="kb_article_review_idx",
                condition=models.Q(status="published", review_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    """A snapshot taken at every content change: the article's history, diffable."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body_md = models.TextField(blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_article_version_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleAttachment(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="knowledge/%Y/%m/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class ArticleVote(models.Model):
    """Helpful / not helpful. Staff vote once per article (changeable); portal votes are anonymous."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], name="kb_article_vote_unique", condition=models.Q(user__isnull=False)
            )
        ]


class CannedReply(models.Model):
    """A canned reply (话术) with {客户姓名}-style variables filled in at insert."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    scenario = models.CharField(_("scenario"), max_length=64, blank=True)
    category = models.ForeignKey(
        "tickets.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Null team = global.
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    shortcut = models.CharField(_("shortcut"), max_length=32, blank=True)
    pinyin_initials = models.CharField(max_length=120, blank=True, editable=False, db_index=True)
    pinyin_full = models.CharField(max_length=600, blank=True, editable=False)
    usage_count = models.PositiveIntegerField(_("uses"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        indexes = [models.Index(fields=["team", "shortcut"], name="kb_reply_shortcut_idx")]

    def __str__(self) -> str:
        return self.title


class Case(models.Model):
    """A case (案例): situation, policy applied, resolution, lessons; reviewed by a team lead."""

    title = models.CharField(_("title"), max_length=200)
    situation = models.TextField(_("situation"))
    policy = models.TextField(_("policy applied"), blank=True)
    resolution = models.TextField(_("resolution"))
    lessons = models.TextField(_("lessons"), blank=True)
    tags = models.CharField(_("tags"), max_length=200, blank=True, help_text=_("Separated by spaces or commas."))
    category = models.ForeignKey(
        "tickets.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("source ticket"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [models.Index(fields=["status", "-updated_at", "-id"], name="kb_case_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["source_ticket"], name="kb_case_one_per_ticket", condition=models.Q(source_ticket__isnull=False)
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.replace("，", ",").replace(",", " ").split() if t]


class SearchDoc(models.Model):
    """One searchable article, canned reply or case: pre-segmented tokens (with repeats, for term
    frequency) in `tokens`, indexed by FTS5 (SQLite) or GIN over a tsvector (PostgreSQL), see
    migration 0002. Kept in step by the services in the same transaction as the content."""

    kind = models.CharField(max_length=8, choices=DocKind.choices)
    object_id = models.PositiveBigIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True)  # plain text for snippets and highlighting
    tokens = models.TextField(blank=True)
    length = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16)
    is_public = models.BooleanField(default=False)
    team_id_ref = models.BigIntegerField(null=True, blank=True)
    category_id_ref = models.BigIntegerField(null=True, blank=True)
    owner_id_ref = models.BigIntegerField(null=True, blank=True)
    used_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    not_helpful_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="kb_searchdoc_unique")]
        # The visible documents' ids for a search, read from the index alone (kefu.knowledge.candidates).
        # Also the collection's size and average length (BM25), without reading the wide rows.
        indexes = [models.Index(fields=["kind", "status", "owner_id_ref", "team_id_ref", "id", "length"],
                                name="kb_searchdoc_visible_idx")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


class SearchTerm(models.Model):
    """Document frequency of one index token over all SearchDoc rows: the IDF of BM25 over the whole
    collection. Kept by the services in the same transaction as the SearchDoc row (see
    kefu.knowledge.services._index)."""

    term = models.CharField(max_length=64, primary_key=True)
    df = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.term}:{self.df}"


class SearchPosting(models.Model):
    """One token of one SearchDoc with its count there (term frequency) and the document's length:
    the postings BM25 is summed over in SQL (kefu.knowledge.candidates), so a search reads a few
    thousand small rows instead of parsing every candidate's tokens. Written by database triggers on
    knowledge_searchdoc (migration 0004), like the full-text index: never by the application."""

    pk = models.CompositePrimaryKey("doc_id", "term")
    doc_id = models.BigIntegerField()
    term = models.CharField(max_length=64)
    tf = models.IntegerField()
    length = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["term", "doc_id", "tf", "length"], name="kb_posting_term_idx")]

    def __str__(self) -> str:
        return f"{self.term}@{self.doc_id}:{self.tf}"


class SuggestionFeedback(models.Model):
    """An agent's "used" / "helpful" / "not helpful" on a suggestion, once per doc, ticket, user and action."""

    doc = models.ForeignKey(SearchDoc, on_delete=models.CASCADE, related_name="feedback")
    ticket = models.ForeignKey("tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=16, choices=FeedbackAction.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["doc", "ticket", "user", "action"], name="kb_feedback_unique"),
        ]


class SynonymGroup(models.Model):
    """Words that mean the same for search (退款 退钱 返款): a query for one finds the others."""

    words = models.CharField(_("words"), max_length=500, help_text=_("Separated by spaces or commas."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")

    def __str__(self) -> str:
        return self.words

    @property
    def word_list(self) -> list[str]:
        return [w for w in self.words.replace("，", ",").replace(",", " ").split() if w]


class DictionaryWord(models.Model):
    """A product or policy term for the segmenter's user dictionary (e.g. 微粒贷, 七天无理由)."""

    word = models.CharField(_("word"), max_length=64, unique=True)
    freq = models.PositiveIntegerField(_("frequency"), null=True, blank=True)

    class Meta:
        verbose_name = _("dictionary word")
        verbose_name_plural = _("dictionary words")

    def __str__(self) -> str:
        return self.word


class SearchDocVector(models.Model):
    """The stored e5 vector of a SearchDoc (the optional semantic score, kefu.knowledge.semantic):
    float16 × 384 in `vector`, and `key`, the hash of exactly what was embedded (text and embedding
    version). A row whose key no longer matches the document is stale and is replaced when next
    needed. Written by the embed task after a document is indexed, by `kefu knowledge_embed`, and
    by a search that had to embed a document itself; so a restarted process does not re-embed
    what was embedded before."""

    doc = models.OneToOneField(SearchDoc, primary_key=True, on_delete=models.CASCADE, related_name="+")
    key = models.BinaryField(max_length=16)
    vector = models.BinaryField()

    def __str__(self) -> str:
        return f"vector of {self.doc_id}"
