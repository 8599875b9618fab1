"""Scoring maths shared by every way an inspection is written (first look, calibration, appeal):
score checks against the scorecard version, total and pass, and the pre-screen's pre-fill."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from kefu.core.errors import DomainError
from kefu.quality.choices import ItemKind
from kefu.quality.errors import QualityErrorCode
from kefu.quality.models import ScorecardItem, ScorecardVersion


def checked_scores(version: ScorecardVersion, scores: dict[str, Any], *, complete: bool) -> dict[str, int]:
    """The scores keyed by scorecard item id, each within 0..max (yes/no and fatal: 0 or 1)."""
    items = {str(i.pk): i for i in ScorecardItem.objects.filter(section__version=version)}
    clean: dict[str, int] = {}
    fields: dict[str, list[str]] = {}
    for key, raw in scores.items():
        item = items.get(str(key))
        if item is None:
            raise DomainError(
                code=QualityErrorCode.UNKNOWN_ITEM, message=_("Item %(key)s is not on this scorecard.") % {"key": key},
                fields={f"scores.{key}": [_("Unknown item.")]},
            )
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = -1
        top = item.points if item.kind == ItemKind.SCORED else 1
        if not 0 <= value <= top:
            fields[f"scores.{key}"] = [_("Give 0 to %(top)s.") % {"top": top}]
            continue
        clean[str(key)] = value
    if fields:
        raise DomainError(code=QualityErrorCode.SCORE_OUT_OF_RANGE, message=_("A score is out of range."), fields=fields)
    if complete:
        missing = [k for k in items if k not in clean]
        if missing:
            raise DomainError(
                code=QualityErrorCode.SCORE_MISSING, message=_("Score every item before submitting."),
                fields={f"scores.{k}": [_("Required.")] for k in missing},
            )
    return clean


def compute_result(version: ScorecardVersion, scores: dict[str, int]) -> tuple[Decimal, bool, bool]:
    """(total out of 100, passed, a fatal item failed). A failed fatal item fails whatever the score."""
    earned = top = 0
    fatal = False
    for item in ScorecardItem.objects.filter(section__version=version):
        value = scores.get(str(item.pk))
        if item.kind == ItemKind.FATAL:
            fatal = fatal or value == 0
            continue
        top += item.points
        if value is not None:
            earned += item.points if item.kind == ItemKind.YES_NO and value else (value if item.kind == ItemKind.SCORED else 0)
    total = (Decimal(earned * 100) / Decimal(top)).quantize(Decimal("0.1"), ROUND_HALF_UP) if top else Decimal(0)
    passed = not fatal and total >= version.scorecard.pass_mark
    return total, passed, fatal


def prefill(version: ScorecardVersion, findings: list[dict[str, Any]]) -> dict[str, int]:
    """The scores the pre-screen suggests: full marks, except the items a finding names (by name):
    a yes/no or fatal item failed, a scored item halved. The inspector confirms or overrides each."""
    named = {str(f.get("item") or "") for f in findings}
    out: dict[str, int] = {}
    for item in ScorecardItem.objects.filter(section__version=version):
        top = item.points if item.kind == ItemKind.SCORED else 1
        if item.name in named:
            out[str(item.pk)] = item.points // 2 if item.kind == ItemKind.SCORED else 0
        else:
            out[str(item.pk)] = top
    return out
