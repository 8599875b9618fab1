"""The 12-indicator monthly scorecard (绩效考核) arithmetic. Pure, no ORM.

Indicator score = attainment of its target in percent, capped at 120:
- higher is better: value / target × 100 (CSAT 85 against 90 → 94.4);
- lower is better: target / value × 100, 120 when the value is 0 (complaint rate 25 against 20 → 80).
An indicator without a value (no denominator) is left out and the other weights carry the total:
total = Σ weight × score / Σ weight of the indicators that have a value. Agents are ranked by total
(equal totals share a rank); the top `top_share` percent of ranked agents (rounded up) are marked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

CAP = 120.0

# (metric, weight, target, higher is better): the default plan, weights sum to 100.
DEFAULT_INDICATORS: list[tuple[str, float, float, bool]] = [
    ("csat", 15, 90, True),
    ("fcr", 15, 80, True),
    ("first_response_median", 10, 60, False),
    ("resolution_median", 5, 900, False),
    ("sla_attainment", 10, 95, True),
    ("qa_average", 10, 85, True),
    ("complaint_rate", 10, 20, False),
    ("tickets_resolved", 5, 100, True),
    ("ticket_conversion", 5, 30, True),
    ("reopen_rate", 5, 5, False),
    ("transfer_rate", 5, 15, False),
    ("callback_on_time_rate", 5, 90, True),
]


@dataclass(frozen=True)
class Indicator:
    metric: str
    weight: float
    target: float
    higher_is_better: bool


@dataclass
class Result:
    agent_id: int
    name: str
    team: str
    values: dict[str, float | None]
    scores: dict[str, float | None] = field(default_factory=dict)
    total: float | None = None
    rank: int | None = None
    top: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id, "name": self.name, "team": self.team, "values": self.values,
            "scores": self.scores, "total": self.total, "rank": self.rank, "top": self.top,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        return cls(**d)


def indicator_score(ind: Indicator, value: float | None) -> float | None:
    if value is None:
        return None
    if ind.higher_is_better:
        raw = value / ind.target * 100 if ind.target else CAP
    else:
        raw = CAP if value <= 0 else ind.target / value * 100
    return round(min(raw, CAP), 1)


def score(results: list[Result], indicators: list[Indicator], *, top_share: int) -> list[Result]:
    """Fill scores, totals, ranks and the top marks in place; returns the results best first."""
    for r in results:
        num = den = 0.0
        for ind in indicators:
            s = indicator_score(ind, r.values.get(ind.metric))
            r.scores[ind.metric] = s
            if s is not None and ind.weight > 0:
                num += ind.weight * s
                den += ind.weight
        r.total = round(num / den, 1) if den else None
    ranked = sorted((r for r in results if r.total is not None), key=lambda r: (-(r.total or 0), r.name))
    prev: float | None = None
    rank = 0
    for i, r in enumerate(ranked, start=1):
        if r.total != prev:
            rank = i
            prev = r.total
        r.rank = rank
    cut = math.ceil(len(ranked) * top_share / 100) if ranked else 0
    for r in ranked:
        r.top = r.rank is not None and r.rank <= cut
    unranked = [r for r in results if r.total is None]
    return ranked + sorted(unranked, key=lambda r: r.name)


def changes(frozen: list[Result], live: list[Result], metrics: list[str]) -> list[dict[str, Any]]:
    """What moved since a month was locked: (agent, metric, frozen value, live value) per difference."""
    now = {r.agent_id: r for r in live}
    out = []
    for r in frozen:
        cur = now.get(r.agent_id)
        for m in [*metrics, "total"]:
            old = r.total if m == "total" else r.values.get(m)
            new = (cur.total if m == "total" else cur.values.get(m)) if cur else None
            if old != new:
                out.append({"agent_id": r.agent_id, "name": r.name, "metric": m, "frozen": old, "live": new})
    return out
