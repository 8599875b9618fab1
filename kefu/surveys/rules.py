"""Pure rules: which template fits a ticket, what counts as a low answer. No ORM."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TemplateRule:
    id: int
    position: int
    is_default: bool
    kinds: frozenset[str]
    channels: frozenset[str]
    team_id: int | None


def pick_template(rules: Sequence[TemplateRule], *, kind: str, channel: str, team_id: int | None) -> int | None:
    """The first rule by position whose non-empty matchers all match; the default one otherwise."""
    for rule in sorted(rules, key=lambda r: (r.is_default, r.position, r.id)):
        if rule.is_default:
            continue
        if rule.kinds and kind not in rule.kinds:
            continue
        if rule.channels and channel not in rule.channels:
            continue
        if rule.team_id is not None and rule.team_id != team_id:
            continue
        return rule.id
    defaults = [r for r in rules if r.is_default]
    return defaults[0].id if defaults else None


def low_reasons(
    *, csat: int | None, nps: int | None, comment: str, low_csat: int, low_nps: int, negative_words: Iterable[str]
) -> list[str]:
    """Why an answer is low: "csat", "nps", "comment:<word>". Empty when it is not."""
    out = []
    if csat is not None and csat <= low_csat:
        out.append("csat")
    if nps is not None and nps <= low_nps:
        out.append("nps")
    text = comment.strip()
    for word in negative_words:
        word = word.strip()
        # "不满意" is negative; but "没有不满意" (no complaints) is not: skip a word preceded by a negation.
        if word and word in text and not any(f"{neg}{word}" in text for neg in ("没有", "并不", "不是")):
            out.append(f"comment:{word}")
            break
    return out


def is_satisfied(*, csat: int | None, nps: int | None, low: bool) -> bool:
    """Good enough to leave the dissatisfied archive: not low, and CSAT 4–5 or (without CSAT) NPS 9–10."""
    if low:
        return False
    if csat is not None:
        return csat >= 4
    return nps is not None and nps >= 9


def nps_score(promoters: int, detractors: int, responses: int) -> float | None:
    if responses == 0:
        return None
    return round((promoters - detractors) * 100.0 / responses, 1)


def share(part: int, whole: int) -> float | None:
    if whole == 0:
        return None
    return round(part * 100.0 / whole, 1)
