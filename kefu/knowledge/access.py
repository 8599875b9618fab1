"""Who may see and change knowledge. Invisible objects answer 404, like tickets.

Reading: every active staff member reads published articles and cases and the canned replies of
their team plus the global ones. Drafts and items in review are seen by their author and by
reviewers (team leads, managers, admins). QA inspectors read but do not write.
Writing: any agent drafts articles and cases; reviewers publish, review cases and keep canned
replies (a team lead for their team, managers and admins everywhere, global ones included).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import Forbidden, NotFound
from kefu.knowledge.choices import ArticleStatus, CaseStatus
from kefu.knowledge.errors import KnowledgeErrorCode
from kefu.knowledge.models import Article, CannedReply, Case


def is_staff_user(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def is_reviewer(user: User) -> bool:
    return is_staff_user(user) and (user.role in (Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN) or user.is_superuser)


def is_global_editor(user: User) -> bool:
    return is_staff_user(user) and (user.role in (Role.MANAGER, Role.ADMIN) or user.is_superuser)


def may_author(user: User) -> bool:
    return is_staff_user(user) and (user.role != Role.QA or user.is_superuser)


def require_author(user: User) -> None:
    if not may_author(user):
        raise Forbidden(code=KnowledgeErrorCode.FORBIDDEN, message=_("Your role may read knowledge but not change it."))


def _not_found() -> NotFound:
    return NotFound(code=KnowledgeErrorCode.NOT_FOUND, message=_("Not found."))


# --- articles ---------------------------------------------------------------------------------------


def visible_articles_q(user: User) -> Q:
    if not is_staff_user(user):
        return Q(pk__in=[])
    q = Q(status=ArticleStatus.PUBLISHED) | Q(owner_id=user.pk)
    if is_reviewer(user):
        q |= Q(status__in=[ArticleStatus.IN_REVIEW, ArticleStatus.ARCHIVED, ArticleStatus.DRAFT])
    return q


def access_article(*, user: User, article_id: int, for_update: bool = False) -> Article:
    qs = Article.objects.filter(visible_articles_q(user), pk=article_id)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    article = qs.first()
    if article is None:
        raise _not_found()
    return article


def may_edit_article(user: User, article: Article) -> bool:
    return may_author(user) and (article.owner_id == user.pk or is_reviewer(user))


# --- canned replies ----------------------------------------------------------------------------------


def visible_replies_q(user: User) -> Q:
    if not is_staff_user(user):
        return Q(pk__in=[])
    if user.is_supervising:
        return Q()
    q = Q(team__isnull=True)
    if user.team_id:
        q |= Q(team_id=user.team_id)
    return q


def access_reply(*, user: User, reply_id: int, for_update: bool = False) -> CannedReply:
    qs = CannedReply.objects.filter(visible_replies_q(user), pk=reply_id)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    reply = qs.first()
    if reply is None:
        raise _not_found()
    return reply


def may_manage_reply(user: User, team_id: int | None) -> bool:
    """Global replies: managers and admins. Team replies: also that team's lead."""
    if is_global_editor(user):
        return True
    return is_reviewer(user) and team_id is not None and team_id == user.team_id


# --- cases ---------------------------------------------------------------------------------------------


def visible_cases_q(user: User) -> Q:
    if not is_staff_user(user):
        return Q(pk__in=[])
    q = Q(status=CaseStatus.PUBLISHED) | Q(created_by_id=user.pk)
    if is_reviewer(user):
        q |= ~Q(status=CaseStatus.PUBLISHED)
    return q


def access_case(*, user: User, case_id: int, for_update: bool = False) -> Case:
    qs = Case.objects.filter(visible_cases_q(user), pk=case_id)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    case = qs.first()
    if case is None:
        raise _not_found()
    return case


def may_review_case(user: User, case: Case) -> bool:
    """A team lead reviews the cases of their team (or of no team); managers and admins all of them."""
    if is_global_editor(user):
        return True
    return is_reviewer(user) and (case.team_id is None or case.team_id == user.team_id)
