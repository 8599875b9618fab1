"""Every write to knowledge tables. Each service checks access, runs in one transaction and keeps the
search index (SearchDoc) in step in that same transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User
from kefu.core.errors import DomainError, Forbidden
from kefu.customers.models import Customer
from kefu.customers.uploads import check_upload
from kefu.knowledge import lexicon, semantic
from kefu.knowledge.access import (
    access_article,
    access_case,
    access_reply,
    is_reviewer,
    may_edit_article,
    may_manage_reply,
    may_review_case,
    require_author,
)
from kefu.knowledge.choices import ARTICLE_TRANSITIONS, ArticleStatus, CaseStatus, DocKind, FeedbackAction
from kefu.knowledge.errors import KnowledgeErrorCode
from kefu.knowledge.markup import fill_variables, pinyin_keys, plain_text, render_markdown
from kefu.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleVersion,
    ArticleVote,
    CannedReply,
    Case,
    DictionaryWord,
    SearchDoc,
    SearchTerm,
    SuggestionFeedback,
    SynonymGroup,
)
from kefu.knowledge.search import doc_visible_q
from kefu.knowledge.tasks import knowledge_embed_task
from kefu.tickets.access import access_ticket
from kefu.tickets.choices import MessageKind, TicketStatus
from kefu.tickets.models import Category, TicketMessage

logger = logging.getLogger("kefu.knowledge")


def _forbidden() -> Forbidden:
    return Forbidden(code=KnowledgeErrorCode.FORBIDDEN, message=_("You may not change this."))


def _require_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise DomainError(
            code=KnowledgeErrorCode.TITLE_REQUIRED, message=_("A title is required."), fields={"title": [_("Required.")]}
        )
    return title[:200]


# --- the index ------------------------------------------------------------------------------------


def _index(*, kind: str, object_id: int, title: str, text: str, status: str, is_public: bool = False,
           team_id: int | None, category_id: int | None, owner_id: int | None, updated_at: Any) -> None:
    """Upsert the document's search row. The title counts twice: a match there matters more."""
    tokens = lexicon.doc_tokens(title) * 2 + lexicon.doc_tokens(text)
    previous = SearchDoc.objects.filter(kind=kind, object_id=object_id).values_list("tokens", flat=True).first()
    _update_term_stats(old=previous or "", new=tokens)
    doc, _created = SearchDoc.objects.update_or_create(
        kind=kind,
        object_id=object_id,
        defaults={
            "title": title[:200],
            "text": text,
            "tokens": " ".join(tokens),
            "length": len(tokens),
            "status": status,
            "is_public": is_public,
            "team_id_ref": team_id,
            "category_id_ref": category_id,
            "owner_id_ref": owner_id,
            "updated_at": updated_at,
        },
    )
    if semantic.enabled():
        transaction.on_commit(lambda: _enqueue_embed(doc.pk))


def _enqueue_embed(doc_id: int) -> None:
    """After commit: the document's e5 vector is computed by the task worker, not in the request.
    A queue that cannot be reached only means the first search embeds it instead."""
    try:
        knowledge_embed_task.enqueue(doc_ids=[doc_id])
    except Exception:
        logger.warning("knowledge: could not enqueue the vector of document %s", doc_id, exc_info=True)


def _update_term_stats(*, old: str, new: list[str]) -> None:
    """Keep SearchTerm.df (documents per token, over the whole collection) in step with one document
    changing from `old` tokens to `new`: one upsert for the added tokens, one update for the removed.
    Terms are sorted so concurrent index updates lock the rows in the same order (no deadlock)."""
    before = {t[:64] for t in old.split(" ") if t}
    after = {t[:64] for t in new if t}
    added, removed = sorted(after - before), sorted(before - after)
    table = connection.ops.quote_name(SearchTerm._meta.db_table)
    with connection.cursor() as cur:
        for i in range(0, len(added), 500):
            chunk = added[i : i + 500]
            cur.execute(
                f"INSERT INTO {table} (term, df) VALUES {', '.join(['(%s, 1)'] * len(chunk))} "  # noqa: S608
                f"ON CONFLICT (term) DO UPDATE SET df = {table}.df + 1",
                chunk,
            )
    if removed:
        SearchTerm.objects.filter(term__in=removed).update(df=F("df") - 1)


def index_article(article: Article) -> None:
    _index(kind=DocKind.ARTICLE, object_id=article.pk, title=article.title, text=plain_text(article.body_md),
           status=article.status, is_public=article.is_public, team_id=article.team_id,
           category_id=article.category_id, owner_id=article.owner_id, updated_at=article.updated_at)


def index_reply(reply: CannedReply) -> None:
    text = " ".join(p for p in (reply.scenario, reply.shortcut, reply.body) if p)
    _index(kind=DocKind.REPLY, object_id=reply.pk, title=reply.title, text=text,
           status="active" if reply.is_active else "inactive", team_id=reply.team_id,
           category_id=reply.category_id, owner_id=reply.created_by_id, updated_at=reply.updated_at)


def index_case(case: Case) -> None:
    text = " ".join(p for p in (case.situation, case.policy, case.resolution, case.lessons, case.tags) if p)
    _index(kind=DocKind.CASE, object_id=case.pk, title=case.title, text=text, status=case.status,
           team_id=case.team_id, category_id=case.category_id, owner_id=case.created_by_id, updated_at=case.updated_at)


# --- articles --------------------------------------------------------------------------------------


@dataclass
class ArticleInput:
    title: str
    body_md: str = ""
    category: Category | None = None
    team: Team | None = None
    is_public: bool = False
    review_by: date | None = None


def _snapshot(article: Article, actor: User | None, note: str, now: Any) -> ArticleVersion:
    return ArticleVersion.objects.create(article=article, number=article.version, title=article.title,
                                         body_md=article.body_md, author=actor, note=note[:200], created_at=now)


def article_create(*, actor: User, data: ArticleInput) -> Article:
    """A new draft owned by `actor`, version 1 snapshotted and indexed."""
    require_author(actor)
    title = _require_title(data.title)
    now = timezone.now()
    with transaction.atomic():
        article = Article.objects.create(
            title=title, body_md=data.body_md, body_html=render_markdown(data.body_md), category=data.category,
            team=data.team or actor.team, owner=actor, is_public=data.is_public, review_by=data.review_by,
            created_at=now, updated_at=now,
        )
        _snapshot(article, actor, _("Created"), now)
        index_article(article)
    return article


ARTICLE_FIELDS = ("title", "body_md", "category", "team", "is_public", "review_by", "owner")


def article_update(*, actor: User, article_id: int, changes: dict[str, Any], note: str = "") -> Article:
    """Change fields. A change of title or body makes a new version (snapshot). Locks the article row.
    Changing the owner or making a published article public needs a reviewer."""
    with transaction.atomic():
        article = access_article(user=actor, article_id=article_id, for_update=True)
        if not may_edit_article(actor, article):
            raise _forbidden()
        if "owner" in changes and not is_reviewer(actor):
            raise _forbidden()
        fields: list[str] = []
        for name in ARTICLE_FIELDS:
            if name not in changes:
                continue
            value = changes[name]
            if name == "title":
                value = _require_title(value)
            if getattr(article, name) != value:
                setattr(article, name, value)
                fields.append(name)
        if not fields:
            return article
        now = timezone.now()
        article.updated_at = now
        fields.append("updated_at")
        if "body_md" in fields:
            article.body_html = render_markdown(article.body_md)
            fields.append("body_html")
        if {"title", "body_md"} & set(fields):
            article.version = F("version") + 1
            fields.append("version")
        article.save(update_fields=fields)
        article.refresh_from_db(fields=["version"])
        if "version" in fields:
            _snapshot(article, actor, note, now)
        index_article(article)
    return article


def article_transition(*, actor: User, article_id: int, status: str, note: str = "") -> Article:
    """draft → in review → published → archived (and back to draft to rework). Publishing is a
    reviewer's act (team lead, manager, admin); the author submits and withdraws."""
    with transaction.atomic():
        article = access_article(user=actor, article_id=article_id, for_update=True)
        if not may_edit_article(actor, article):
            raise _forbidden()
        if status not in ARTICLE_TRANSITIONS.get(article.status, ()):
            raise DomainError(code=KnowledgeErrorCode.INVALID_TRANSITION,
                              message=_("This article cannot go from %(a)s to %(b)s.") % {"a": article.status, "b": status})
        if status == ArticleStatus.PUBLISHED and not is_reviewer(actor):
            raise Forbidden(code=KnowledgeErrorCode.REVIEWER_REQUIRED, message=_("Only a reviewer may publish."))
        now = timezone.now()
        article.status = status
        article.updated_at = now
        fields = ["status", "updated_at"]
        if status == ArticleStatus.PUBLISHED:
            article.published_at = now
            article.reviewed_by = actor
            fields += ["published_at", "reviewed_by"]
        article.save(update_fields=fields)
        index_article(article)
    return article


def article_mark_reviewed(*, actor: User, article_id: int, next_review: date) -> Article:
    """The owner (or a reviewer) confirms the content is still right and sets the next review date."""
    with transaction.atomic():
        article = access_article(user=actor, article_id=article_id, for_update=True)
        if not may_edit_article(actor, article):
            raise _forbidden()
        article.review_by = next_review
        article.updated_at = timezone.now()
        article.save(update_fields=["review_by", "updated_at"])
    return article


def article_vote(*, actor: User | None, article_id: int, helpful: bool) -> Article:
    """Helpful / not helpful. Staff (`actor`) vote once per article and may change their vote; a
    portal vote (`actor` None) is anonymous and must be on a public, published article."""
    with transaction.atomic():
        if actor is None:
            article = Article.objects.select_for_update().filter(
                pk=article_id, status=ArticleStatus.PUBLISHED, is_public=True).first()
            if article is None:
                raise DomainError(code=KnowledgeErrorCode.NOT_FOUND, message=_("Not found."), status=404)
            ArticleVote.objects.create(article=article, user=None, helpful=helpful, created_at=timezone.now())
        else:
            article = access_article(user=actor, article_id=article_id, for_update=True)
            ArticleVote.objects.update_or_create(article=article, user=actor,
                                                 defaults={"helpful": helpful, "created_at": timezone.now()})
        votes = ArticleVote.objects.filter(article=article)
        article.helpful_count = votes.filter(helpful=True).count()
        article.not_helpful_count = votes.filter(helpful=False).count()
        article.save(update_fields=["helpful_count", "not_helpful_count"])
        SearchDoc.objects.filter(kind=DocKind.ARTICLE, object_id=article.pk).update(
            helpful_count=article.helpful_count, not_helpful_count=article.not_helpful_count)
    return article


def article_attach(*, actor: User, article_id: int, name: str, content: bytes) -> ArticleAttachment:
    """Attach a file, checked like customer uploads (size, extension and the file's own bytes)."""
    checked = check_upload(name=name, content=content)
    with transaction.atomic():
        article = access_article(user=actor, article_id=article_id, for_update=True)
        if not may_edit_article(actor, article):
            raise _forbidden()
        att = ArticleAttachment(article=article, name=checked.name, content_type=checked.content_type,
                                size=len(checked.content), uploaded_by=actor, created_at=timezone.now())
        att.file.save(checked.name, ContentFile(checked.content), save=False)
        att.save()
    return att


# --- canned replies ---------------------------------------------------------------------------------


@dataclass
class ReplyInput:
    title: str
    body: str
    scenario: str = ""
    shortcut: str = ""
    category: Category | None = None
    team: Team | None = None
    is_active: bool = True


def _check_shortcut(shortcut: str, team_id: int | None, exclude_id: int | None) -> str:
    shortcut = (shortcut or "").strip().lower()
    if not shortcut:
        return ""
    scope: dict[str, Any] = {"team_id": team_id} if team_id else {"team__isnull": True}
    clash = CannedReply.objects.filter(shortcut=shortcut, is_active=True, **scope)
    if exclude_id:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise DomainError(code=KnowledgeErrorCode.SHORTCUT_TAKEN, message=_("This shortcut is already used."),
                          fields={"shortcut": [_("Already used in this scope.")]})
    return shortcut[:32]


def reply_save(*, actor: User, data: ReplyInput, reply_id: int | None = None) -> CannedReply:
    """Create (reply_id None) or change a canned reply. Global ones: managers/admins; team ones: also
    that team's lead. The pinyin keys for the picker are computed here."""
    require_author(actor)
    title = _require_title(data.title)[:120]
    if not (data.body or "").strip():
        raise DomainError(code=KnowledgeErrorCode.TITLE_REQUIRED, message=_("The text is required."),
                          fields={"body": [_("Required.")]})
    team_id = data.team.pk if data.team else None
    if not may_manage_reply(actor, team_id):
        raise _forbidden()
    now = timezone.now()
    with transaction.atomic():
        if reply_id is None:
            reply = CannedReply(created_by=actor, created_at=now)
        else:
            reply = access_reply(user=actor, reply_id=reply_id, for_update=True)
            if not may_manage_reply(actor, reply.team_id):
                raise _forbidden()
        reply.shortcut = _check_shortcut(data.shortcut, team_id, reply.pk) if data.is_active else data.shortcut.strip()[:32]
        reply.title, reply.body, reply.scenario = title, data.body, data.scenario.strip()[:64]
        reply.category, reply.team, reply.is_active = data.category, data.team, data.is_active
        reply.pinyin_initials, reply.pinyin_full = pinyin_keys(title)
        reply.updated_at = now
        reply.save()
        index_reply(reply)
    return reply


def reply_fill(*, actor: User, reply_id: int, ticket_number: str | None = None, count_use: bool = True) -> str:
    """The reply's text with its variables filled for the ticket ({客户姓名}, {工单号}, {处理人}, ...).
    Counts a use (usage_count, and "used" feedback for the ticket) unless `count_use` is False."""
    reply = access_reply(user=actor, reply_id=reply_id)
    values = {"处理人": actor.name, "今天": timezone.localdate().isoformat()}
    ticket = None
    if ticket_number:
        ticket = access_ticket(user=actor, number=ticket_number)
        values.update({"工单号": ticket.number, "工单标题": ticket.title})
        if ticket.assignee_id and ticket.assignee_id != actor.pk:
            values["处理人"] = actor.name  # the agent inserting the text is the one speaking
        if ticket.customer_id:
            customer = Customer.objects.only("name").get(pk=ticket.customer_id)
            values["客户姓名"] = customer.name
    text = fill_variables(reply.body, values)
    if count_use:
        with transaction.atomic():
            CannedReply.objects.filter(pk=reply.pk).update(usage_count=F("usage_count") + 1)
            doc = SearchDoc.objects.filter(kind=DocKind.REPLY, object_id=reply.pk).first()
            if doc is not None:
                _feedback(doc=doc, ticket_id=ticket.pk if ticket else None, actor=actor, action=FeedbackAction.USED)
    return text


# --- cases -------------------------------------------------------------------------------------------


@dataclass
class CaseInput:
    title: str
    situation: str
    resolution: str
    policy: str = ""
    lessons: str = ""
    tags: str = ""
    category: Category | None = None
    team: Team | None = None


def case_create(*, actor: User, data: CaseInput, source_ticket_number: str | None = None, submit: bool = False) -> Case:
    """A draft case (or straight into review with `submit`). With a source ticket, that ticket must be
    resolved or closed and visible to `actor`, and one ticket makes at most one case."""
    require_author(actor)
    title = _require_title(data.title)
    if not data.situation.strip() or not data.resolution.strip():
        raise DomainError(code=KnowledgeErrorCode.TITLE_REQUIRED, message=_("Situation and resolution are required."),
                          fields={k: [_("Required.")] for k in ("situation", "resolution") if not getattr(data, k).strip()})
    now = timezone.now()
    with transaction.atomic():
        ticket = None
        if source_ticket_number:
            ticket = access_ticket(user=actor, number=source_ticket_number)
            if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
                raise DomainError(code=KnowledgeErrorCode.TICKET_NOT_RESOLVED,
                                  message=_("Only a resolved or closed ticket can become a case."))
            if Case.objects.filter(source_ticket=ticket).exists():
                raise DomainError(code=KnowledgeErrorCode.CASE_EXISTS, message=_("This ticket is already a case."), status=409)
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    title=title, situation=data.situation, policy=data.policy, resolution=data.resolution,
                    lessons=data.lessons, tags=data.tags[:200], category=data.category or (ticket.category if ticket else None),
                    team=data.team or (ticket.team if ticket else None) or actor.team, source_ticket=ticket,
                    status=CaseStatus.IN_REVIEW if submit else CaseStatus.DRAFT, created_by=actor,
                    created_at=now, updated_at=now,
                )
        except IntegrityError as exc:  # a concurrent "save as case" of the same ticket
            raise DomainError(code=KnowledgeErrorCode.CASE_EXISTS, message=_("This ticket is already a case."), status=409) from exc
        index_case(case)
    return case


def case_draft_from_ticket(*, actor: User, ticket_number: str) -> CaseInput:
    """Prefill for "save as case": title, the customer's description, and the last public reply."""
    ticket = access_ticket(user=actor, number=ticket_number)
    last_reply = (TicketMessage.objects.filter(ticket=ticket, kind=MessageKind.REPLY, from_customer=False)
                  .order_by("-created_at", "-id").values_list("body", flat=True).first())
    return CaseInput(title=ticket.title, situation=ticket.description or ticket.title,
                     resolution=last_reply or "", category=ticket.category, team=ticket.team)


def case_save_from_ticket(*, actor: User, ticket_number: str) -> Case:
    """"Save as case" in one click: a case prefilled from the resolved ticket, sent to review."""
    data = case_draft_from_ticket(actor=actor, ticket_number=ticket_number)
    if not data.resolution.strip():
        data.resolution = _("See the source ticket.")
    return case_create(actor=actor, data=data, source_ticket_number=ticket_number, submit=True)


CASE_FIELDS = ("title", "situation", "policy", "resolution", "lessons", "tags", "category", "team")


def case_update(*, actor: User, case_id: int, changes: dict[str, Any]) -> Case:
    """The author edits a draft, rejected or in-review case; a reviewer edits any. A published case edited
    by its author goes back to review."""
    with transaction.atomic():
        case = access_case(user=actor, case_id=case_id, for_update=True)
        reviewer = may_review_case(actor, case)
        if not (reviewer or (case.created_by_id == actor.pk and actor.role != "qa")):
            raise _forbidden()
        for name in CASE_FIELDS:
            if name in changes:
                setattr(case, name, _require_title(changes[name]) if name == "title" else changes[name])
        if case.status == CaseStatus.PUBLISHED and not reviewer:
            case.status = CaseStatus.IN_REVIEW
        case.updated_at = timezone.now()
        case.save()
        index_case(case)
    return case


def case_submit(*, actor: User, case_id: int) -> Case:
    with transaction.atomic():
        case = access_case(user=actor, case_id=case_id, for_update=True)
        if case.created_by_id != actor.pk and not may_review_case(actor, case):
            raise _forbidden()
        if case.status not in (CaseStatus.DRAFT, CaseStatus.REJECTED):
            raise DomainError(code=KnowledgeErrorCode.INVALID_TRANSITION, message=_("Only a draft can be submitted."))
        case.status = CaseStatus.IN_REVIEW
        case.updated_at = timezone.now()
        case.save(update_fields=["status", "updated_at"])
        index_case(case)
    return case


def case_review(*, actor: User, case_id: int, approve: bool, note: str = "") -> Case:
    """A team lead (or manager) publishes or rejects a case in review."""
    with transaction.atomic():
        case = access_case(user=actor, case_id=case_id, for_update=True)
        if not may_review_case(actor, case):
            raise Forbidden(code=KnowledgeErrorCode.REVIEWER_REQUIRED, message=_("Only a team lead may review cases."))
        if case.status != CaseStatus.IN_REVIEW:
            raise DomainError(code=KnowledgeErrorCode.INVALID_TRANSITION, message=_("This case is not in review."))
        now = timezone.now()
        case.status = CaseStatus.PUBLISHED if approve else CaseStatus.REJECTED
        case.reviewed_by, case.reviewed_at, case.review_note, case.updated_at = actor, now, note[:500], now
        case.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "updated_at"])
        index_case(case)
    return case


def case_archive(*, actor: User, case_id: int) -> Case:
    with transaction.atomic():
        case = access_case(user=actor, case_id=case_id, for_update=True)
        if not may_review_case(actor, case):
            raise _forbidden()
        case.status = CaseStatus.ARCHIVED
        case.updated_at = timezone.now()
        case.save(update_fields=["status", "updated_at"])
        index_case(case)
    return case


# --- feedback -----------------------------------------------------------------------------------------


def _feedback(*, doc: SearchDoc, ticket_id: int | None, actor: User, action: str) -> bool:
    """Record once per (doc, ticket, user, action); bump the doc's counter only the first time."""
    # One row per (doc, ticket, user, action); "no ticket" is its own bucket (search-page feedback).
    lookup: dict[str, Any] = {"ticket_id": ticket_id} if ticket_id else {"ticket__isnull": True}
    _obj, created = SuggestionFeedback.objects.get_or_create(
        doc=doc, user=actor, action=action, defaults={"created_at": timezone.now(), "ticket_id": ticket_id}, **lookup)
    if created:
        field = {FeedbackAction.USED: "used_count", FeedbackAction.HELPFUL: "helpful_count",
                 FeedbackAction.NOT_HELPFUL: "not_helpful_count"}[FeedbackAction(action)]
        SearchDoc.objects.filter(pk=doc.pk).update(**{field: F(field) + 1})
    return created


def suggestion_feedback(*, actor: User, kind: str, object_id: int, action: str, ticket_number: str | None = None) -> bool:
    """An agent marks a suggestion used / helpful / not helpful (for a ticket). Ranking reads the counts.
    Returns False when the same feedback was already given."""
    if action not in FeedbackAction.values:
        raise DomainError(code="invalid_action", message=_("Unknown feedback."), fields={"action": [_("Unknown.")]})
    with transaction.atomic():
        ticket_id = access_ticket(user=actor, number=ticket_number).pk if ticket_number else None
        doc = SearchDoc.objects.filter(doc_visible_q(actor), kind=kind, object_id=object_id).first()
        if doc is None:
            raise DomainError(code=KnowledgeErrorCode.NOT_FOUND, message=_("Not found."), status=404)
        return _feedback(doc=doc, ticket_id=ticket_id, actor=actor, action=action)


# --- search configuration (admin) -------------------------------------------------------------------


def synonym_group_save(*, group: SynonymGroup) -> SynonymGroup:
    """Save a synonym group from the admin; searches use it at once in this process, within a minute elsewhere."""
    with transaction.atomic():
        group.save()
        transaction.on_commit(lexicon.lexicon_reset)
    return group


def dictionary_word_save(*, word: DictionaryWord) -> DictionaryWord:
    """Save a user-dictionary word. Bigrams already find it; jieba's whole-word token sharpens ranking
    for documents indexed from now on."""
    with transaction.atomic():
        word.word = word.word.strip()
        word.save()
        transaction.on_commit(lexicon.lexicon_reset)
    return word
