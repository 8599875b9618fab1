"""Who may see and touch surveys, callbacks and the dissatisfied-customer archive, and the signed
survey link. Invisible rows answer 404, as tickets do.

Callbacks: managers, admins and QA see all; a team lead sees the team's and their own; an agent sees
the ones assigned to them. Recording a result: the assignee, the team's lead, or a manager.
Archive: every active staff member reads it (agents must see whom to treat with care); care actions
are planned and logged by team leads, managers and the case owner; only managers close a case.
"""

from __future__ import annotations

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kefu.accounts.choices import Role
from kefu.accounts.models import User
from kefu.core.errors import Forbidden, NotFound
from kefu.surveys.errors import SurveyErrorCode
from kefu.surveys.models import Callback, CareAction, DissatisfiedCase, Survey

LINK_SALT = "kefu.surveys.link"


def is_lead(user: User) -> bool:
    return user.role == Role.TEAM_LEAD


def visible_callbacks_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.sees_all_tickets:
        return Q()
    q = Q(assignee_id=user.pk)
    if is_lead(user) and user.team_id:
        q |= Q(team_id=user.team_id)
    return q


def callbacks_visible_to(user: User) -> QuerySet[Callback]:
    return Callback.objects.filter(visible_callbacks_q(user))


def access_callback(*, user: User, callback_id: int, for_update: bool = False) -> Callback:
    qs = callbacks_visible_to(user)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    callback = qs.filter(pk=callback_id).first()
    if callback is None:
        raise NotFound(code=SurveyErrorCode.CALLBACK_NOT_FOUND, message=_("Callback not found."))
    return callback


def require_callback_write(user: User, callback: Callback) -> None:
    if user.is_supervising or callback.assignee_id == user.pk:
        return
    if is_lead(user) and user.team_id and callback.team_id == user.team_id:
        return
    raise Forbidden(code=SurveyErrorCode.FORBIDDEN, message=_("Only the assignee or the team lead may log this callback."))


def may_see_archive(user: User) -> bool:
    return user.is_authenticated and user.is_active


def access_case(*, user: User, case_id: int, for_update: bool = False) -> DissatisfiedCase:
    if not may_see_archive(user):
        raise NotFound(code=SurveyErrorCode.CASE_NOT_FOUND, message=_("Case not found."))
    qs = DissatisfiedCase.objects.all()
    if for_update:
        qs = qs.select_for_update(of=("self",))
    case = qs.filter(pk=case_id).first()
    if case is None:
        raise NotFound(code=SurveyErrorCode.CASE_NOT_FOUND, message=_("Case not found."))
    return case


def may_care(user: User, case: DissatisfiedCase) -> bool:
    return user.is_supervising or is_lead(user) or case.owner_id == user.pk


def require_care(user: User, case: DissatisfiedCase) -> None:
    if not may_care(user, case):
        raise Forbidden(code=SurveyErrorCode.FORBIDDEN, message=_("Only team leads, managers and the care owner may do this."))


def require_manager(user: User) -> None:
    if not user.is_supervising:
        raise Forbidden(code=SurveyErrorCode.FORBIDDEN, message=_("Only a manager may close a case."))


def access_care_action(*, user: User, action_id: int, for_update: bool = False) -> CareAction:
    qs = CareAction.objects.select_related("case")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    action = qs.filter(pk=action_id).first()
    if action is None or not may_see_archive(user):
        raise NotFound(code=SurveyErrorCode.CARE_NOT_FOUND, message=_("Care action not found."))
    return action


def metrics_scope_q(user: User, *, agent_field: str = "agent_id", team_field: str = "team_id") -> Q:
    """Which rows' numbers a user may see: all for supervisors and QA, the team for a lead, their own otherwise."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.sees_all_tickets:
        return Q()
    if is_lead(user) and user.team_id:
        return Q(**{team_field: user.team_id}) | Q(**{agent_field: user.pk})
    return Q(**{agent_field: user.pk})


# --- the customer's link -----------------------------------------------------------------------------


def survey_token(survey: Survey) -> str:
    """Signed (id, random key): unguessable, and bound to this one survey of this one ticket."""
    return signing.dumps({"s": survey.pk, "k": survey.key}, salt=LINK_SALT, compress=True)


def access_survey_by_token(token: str, *, for_update: bool = False) -> Survey:
    try:
        data = signing.loads(token, salt=LINK_SALT)
        survey_id, key = int(data["s"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise NotFound(code=SurveyErrorCode.NOT_FOUND, message=_("This survey link is not valid.")) from exc
    qs = Survey.objects.select_related("template", "ticket")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    survey = qs.filter(pk=survey_id, key=key).first()
    if survey is None:
        raise NotFound(code=SurveyErrorCode.NOT_FOUND, message=_("This survey link is not valid."))
    return survey
