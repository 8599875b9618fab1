"""案例库: scored inspections kept as learning material.

A QA inspector or lead saves a submitted inspection as a case with one click (title from the contact,
tag 优秀案例 when it passed, else 问题案例) and may retitle, retag and annotate it. Every active staff
user may read the library (agents learn from it) but only inspectors create or change cases. The
conversation is always shown with phone and ID numbers masked (kefu.core.masking), whoever reads it,
and agents do not see whose contact it was."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.errors import Conflict, DomainError, NotFound
from kefu.core.masking import mask_id_number, mask_phone
from kefu.quality.access import may_inspect, require_inspector
from kefu.quality.choices import CaseTag, InspectionState
from kefu.quality.errors import QualityErrorCode
from kefu.quality.lexicon import fold
from kefu.quality.models import Inspection, QualityCase
from kefu.quality.prescreen import ID_RE, PHONE_RE

_SPACES = re.compile(r"[\s-]")


def mask_text(text: str) -> str:
    """Phone numbers (also 138-1234-5678) and 18-digit ID numbers in free text masked as
    138****5678 / 1101**********1234; the pre-screen's patterns find them (on the folded text, so
    full-width digits are caught too; folding keeps positions)."""
    folded = fold(text)
    spans = [(m.start(), m.end(), "phone") for m in PHONE_RE.finditer(folded)]
    spans += [(m.start(), m.end(), "id") for m in ID_RE.finditer(folded)]
    out, pos = [], 0
    for start, end, kind in sorted(spans):
        if start < pos:
            continue
        digits = _SPACES.sub("", folded[start:end])
        out.append(text[pos:start])
        out.append(mask_phone(digits) if kind == "phone" else mask_id_number(digits))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def masked_turns(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**t, "text": mask_text(str(t.get("text") or ""))} for t in turns or []]


def clean_tags(tags: list[str] | str) -> str:
    """",excellent,礼貌用语," from a list or a text of tags separated by commas/spaces/、."""
    raw = re.split(r"[,，、\s]+", tags) if isinstance(tags, str) else tags
    seen = list(dict.fromkeys(t.strip()[:30] for t in raw if t and t.strip()))
    return ("," + ",".join(seen) + ",") if seen else ""


def tag_label(tag: str) -> str:
    return str(dict(CaseTag.choices).get(tag, tag))


@transaction.atomic
def case_save(*, actor: User, inspection_id: int, title: str = "", tags: list[str] | str | None = None,
              note: str = "") -> QualityCase:
    """Save a submitted inspection the actor may see as a case (QA inspectors and leads). Once per
    inspection: saving it again is a 409."""
    require_inspector(actor)
    insp = Inspection.objects.select_related("item").filter(pk=inspection_id).first()
    if insp is None or (insp.inspector_id != actor.pk and insp.state != InspectionState.SUBMITTED):
        raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such inspection."))
    if insp.state != InspectionState.SUBMITTED:
        raise Conflict(code=QualityErrorCode.CASE_NOT_SCORED, message=_("Only a submitted inspection can become a case."))
    if tags is None:
        tags = [CaseTag.EXCELLENT if insp.passed else CaseTag.PROBLEM]
    try:
        with transaction.atomic():
            return QualityCase.objects.create(
                inspection=insp, title=(title.strip() or insp.item.title or str(insp.item))[:200],
                tags=clean_tags(tags), note=note.strip(), created_by=actor, created_at=timezone.now(),
            )
    except IntegrityError:
        raise Conflict(code=QualityErrorCode.CASE_EXISTS, message=_("This inspection is already a case.")) from None


@transaction.atomic
def case_update(*, actor: User, case_id: int, title: str, tags: list[str] | str, note: str) -> QualityCase:
    require_inspector(actor)
    case = QualityCase.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound(code=QualityErrorCode.NOT_FOUND, message=_("There is no such case."))
    if not title.strip():
        raise DomainError(code=QualityErrorCode.INVALID_INPUT, message=_("Give the case a title."),
                          fields={"title": [_("Required.")]})
    case.title, case.tags, case.note = title.strip()[:200], clean_tags(tags), note.strip()
    case.save(update_fields=["title", "tags", "note"])
    return case


def may_read_cases(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def cases_list(*, user: User, tag: str = "") -> QuerySet[QualityCase]:
    """The library (every active user may read it), newest first, optionally one tag."""
    if not may_read_cases(user):
        return QualityCase.objects.none()
    qs = QualityCase.objects.select_related("inspection__item__agent", "inspection__version__scorecard", "created_by")
    tag = clean_tags([tag]) if tag else ""
    if tag:
        qs = qs.filter(tags__contains=tag)
    return qs.order_by("-created_at", "-id")


def case_get(*, user: User, case_id: int) -> QualityCase | None:
    return cases_list(user=user).filter(pk=case_id).first()


def case_tags(*, user: User) -> list[str]:
    """Every tag in use, the standard ones first."""
    used: set[str] = set()
    for tags in cases_list(user=user).values_list("tags", flat=True):
        used.update(t for t in tags.split(",") if t)
    return [t for t in CaseTag.values if t in used] + sorted(used - set(CaseTag.values))


def shows_agent(user: User) -> bool:
    """Inspectors see whose contact a case was; everyone else reads it anonymised."""
    return may_inspect(user)
