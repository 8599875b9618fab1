"""Intraday: re-forecast the rest of the day from the actuals so far and propose standby agents to call in.

The day's forecast is scaled by how the day runs so far: ratio = (actual so far + k) / (forecast so far + k), with
k = ``CREDIBILITY`` contacts so that the first quiet half hour cannot halve the day (a Poisson-credibility blend
toward the plan). Staffing for the remaining intervals then comes from the staffing engine; ``propose_standby``
greedily calls in the standby agents whose available window closes the largest remaining gap (heads missing,
summed over intervals), one agent at a time, until no agent helps. Pure numpy; answers in milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["CREDIBILITY", "StandbyAgent", "StandbyProposal", "propose_standby", "reforecast"]

FloatArray = NDArray[np.float64]
CREDIBILITY = 30.0


def reforecast(
    forecast: ArrayLike, actual: ArrayLike, now_slot: int, *, credibility: float = CREDIBILITY
) -> tuple[FloatArray, float]:
    """(re-forecast of every slot, ratio). Slots before ``now_slot`` keep the actuals; the rest are scaled."""
    f = np.asarray(forecast, dtype=float)
    a = np.asarray(actual, dtype=float)
    if f.shape != a.shape or f.ndim != 1:
        raise ValueError("forecast and actual must be one day of slots each")
    if not 0 <= now_slot <= f.size:
        raise ValueError("now_slot must lie within the day")
    ratio = (a[:now_slot].sum() + credibility) / (f[:now_slot].sum() + credibility)
    out = f * ratio
    out[:now_slot] = a[:now_slot]
    return out, float(ratio)


@dataclass(frozen=True)
class StandbyAgent:
    key: int
    earliest_slot: int  # can be on duty from this slot (now + travel/notice time)
    max_slots: int  # can work at most this many slots


@dataclass(frozen=True)
class StandbyProposal:
    key: int
    start_slot: int
    end_slot: int  # exclusive
    covers: int  # missing heads this call-in removes


def propose_standby(gap: ArrayLike, agents: Sequence[StandbyAgent]) -> list[StandbyProposal]:
    """Greedy call-in list: ``gap[i]`` heads missing in slot i (negative = surplus)."""
    need = np.maximum(np.asarray(gap, dtype=float), 0).round().astype(np.int64)
    out: list[StandbyProposal] = []
    left = list(agents)
    while left and need.sum() > 0:
        best: tuple[int, int, int, int] | None = None  # covers, -index, start, end
        for idx, agent in enumerate(left):
            if agent.max_slots <= 0 or agent.earliest_slot >= need.size:
                continue
            window = min(agent.max_slots, need.size - agent.earliest_slot)
            positive = (need > 0).astype(np.int64)
            csum = np.concatenate([[0], np.cumsum(positive)])
            starts = np.arange(agent.earliest_slot, need.size - window + 1)
            gains = csum[starts + window] - csum[starts]
            k = int(np.argmax(gains))
            cand = (int(gains[k]), -idx, int(starts[k]), int(starts[k] + window))
            if best is None or cand[:2] > best[:2]:
                best = cand
        if best is None or best[0] <= 0:
            break
        covers, neg_idx, s, e = best
        agent = left.pop(-neg_idx)
        need[s:e] = np.maximum(need[s:e] - 1, 0)
        out.append(StandbyProposal(agent.key, s, e, covers))
    return out
