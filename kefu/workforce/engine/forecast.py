"""Contact-volume and handling-time forecasts per interval (pure numpy, no Django).

History is a day × slot matrix: ``counts[d, s]`` contacts in slot ``s`` of day ``dates[d]`` (consecutive days,
local time, e.g. 48 slots of 30 minutes). Two methods forecast one day at a time from the days before it:

* ``baseline``: the 8-week same-slot average — the mean of the same weekday's slot over the last 8 weeks.
* ``profile``: daily total × intraday profile. The day's total is an exponentially weighted mean of the recent
  totals of the same day type (weekday, or holiday / 调休 make-up day / promotion from the calendar), the profile the
  normalised shape of the same day type's recent days. Days that were special (holidays, promotions) or anomalous
  (a total below ``ANOMALY_LOW`` or above ``ANOMALY_HIGH`` of the weekday's median) do not pollute normal days.
  A 调休 make-up working day (a Saturday or Sunday that works) is forecast like the weekday it replaces: Monday's
  level and shape unless told otherwise. Holidays and promotions are forecast from past days of the same kind,
  scaled to the current level (their ratio to the normal forecast), with a default ratio when none is known yet.

``choose_method`` runs a rolling-origin backtest (one-day-ahead forecasts for the last ``backtest_days`` days,
each made only from the days before it) and keeps the method with the lower WAPE; WAPE = Σ|actual − forecast| /
Σ actual. ``poisson_floor_wape`` is the WAPE a perfect forecast of the Poisson mean would still have: the noise floor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = [
    "DayKind",
    "ForecastResult",
    "Method",
    "aht_forecast",
    "backtest",
    "baseline_forecast",
    "choose_method",
    "day_kinds",
    "forecast_day",
    "poisson_floor_wape",
    "profile_forecast",
    "wape",
]

FloatArray = NDArray[np.float64]

BASELINE_WEEKS = 8
ANOMALY_LOW = 0.5
ANOMALY_HIGH = 1.8
# Exponential weights of past same-kind days for the total (most recent first) and for the profile.
LEVEL_HALF_LIFE = 3.0
PROFILE_DAYS = 8
RECENT_DAYS = 10
RECENT_WEIGHT = 0.5
# Ratio to a normal day used until a kind's own history says otherwise.
DEFAULT_RATIOS = {"holiday": 0.35, "holiday_eve": 0.6, "promotion": 1.5}


class Method(StrEnum):
    BASELINE = "baseline"
    PROFILE = "profile"


class DayKind(StrEnum):
    NORMAL = "normal"
    HOLIDAY = "holiday"
    HOLIDAY_EVE = "holiday_eve"  # the day before a holiday: often a half day
    MAKEUP = "makeup"  # 调休: a weekend day that works
    PROMOTION = "promotion"


@dataclass(frozen=True)
class ForecastResult:
    method: Method
    wape: dict[str, float] = field(default_factory=dict)  # backtest WAPE of each method tried
    forecast: FloatArray = field(default_factory=lambda: np.zeros(0))


def wape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Σ|a − f| / Σ a (nan when there were no contacts)."""
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    total = a.sum()
    return float(np.abs(a - f).sum() / total) if total > 0 else float("nan")


def poisson_floor_wape(mean: ArrayLike) -> float:
    """WAPE of the exact mean against Poisson counts: Σ E|X − λ| / Σ λ, with E|X − λ| = 2λ·pmf(⌊λ⌋; λ)."""
    lam = np.asarray(mean, dtype=float)
    lam = lam[lam > 0]
    if lam.size == 0:
        return float("nan")
    mad = 2.0 * lam * stats.poisson.pmf(np.floor(lam), lam)
    return float(mad.sum() / lam.sum())


def day_kinds(
    dates: Sequence[date],
    *,
    holidays: set[date] | frozenset[date] = frozenset(),
    makeup_days: set[date] | frozenset[date] = frozenset(),
    promotions: set[date] | frozenset[date] = frozenset(),
) -> list[DayKind]:
    """Kind of every day; a promotion wins over a holiday, a holiday over a make-up day."""
    out = []
    for d in dates:
        if d in promotions:
            out.append(DayKind.PROMOTION)
        elif d in holidays:
            out.append(DayKind.HOLIDAY)
        elif d in makeup_days and d.weekday() >= 5:
            out.append(DayKind.MAKEUP)
        else:
            out.append(DayKind.NORMAL)
    return out


def _check(counts: ArrayLike, dates: Sequence[date]) -> FloatArray:
    arr = np.asarray(counts, dtype=float)
    if arr.ndim != 2:
        raise ValueError("counts must be a day × slot matrix")
    if arr.shape[0] != len(dates):
        raise ValueError(f"counts has {arr.shape[0]} days but dates has {len(dates)}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError("counts must be finite and non-negative")
    for a, b in zip(dates, dates[1:], strict=False):
        if b - a != timedelta(days=1):
            raise ValueError(f"dates must be consecutive days ({a} is followed by {b})")
    return arr


def baseline_forecast(
    counts: ArrayLike, dates: Sequence[date], target: date, *, weeks: int = BASELINE_WEEKS
) -> FloatArray:
    """Mean of the same weekday's slots over the last ``weeks`` weeks before ``target`` (those in the history)."""
    arr = _check(counts, dates)
    idx = _index_of(dates, target)
    rows = [idx - 7 * k for k in range(1, weeks + 1) if 0 <= idx - 7 * k < len(arr)]
    if not rows:
        return np.zeros(arr.shape[1])
    return np.asarray(arr[rows].mean(axis=0), dtype=float)


def _index_of(dates: Sequence[date], target: date) -> int:
    if not dates:
        raise ValueError("the history is empty")
    return (target - dates[0]).days


def _weights(n: int, half_life: float) -> FloatArray:
    return np.asarray(0.5 ** (np.arange(n) / half_life), dtype=float)


def profile_forecast(
    counts: ArrayLike,
    dates: Sequence[date],
    target: date,
    *,
    kinds: Mapping[date, str] | None = None,
    lookback_weeks: int = 8,
) -> FloatArray:
    """Daily total × intraday profile for ``target`` from the days before it (see the module docstring)."""
    arr = _check(counts, dates)
    kinds = kinds or {}
    idx = _index_of(dates, target)
    kind = kinds.get(target, DayKind.NORMAL)
    # A make-up working day behaves like the weekday it stands in for (Monday by default).
    weekday = 0 if kind == DayKind.MAKEUP else target.weekday()
    start = max(0, idx - 7 * lookback_weeks)
    past = range(min(idx, len(dates)) - 1, start - 1, -1)  # most recent first
    totals = arr.sum(axis=1)

    def normal_rows(wd: int) -> list[int]:
        rows = [
            i
            for i in past
            if dates[i].weekday() == wd and kinds.get(dates[i], DayKind.NORMAL) == DayKind.NORMAL
        ]
        if not rows:
            return []
        med = float(np.median(totals[rows]))
        return [i for i in rows if med <= 0 or ANOMALY_LOW * med <= totals[i] <= ANOMALY_HIGH * med]

    rows = normal_rows(weekday)
    if not rows:
        return baseline_forecast(arr, dates, target)
    level = _level(arr, dates, kinds, idx, start, weekday, rows, normal_rows)
    shape = _profile(arr[rows[:PROFILE_DAYS]])
    if kind not in (DayKind.NORMAL, DayKind.MAKEUP):
        level *= _kind_ratio(arr, dates, kinds, kind, idx, lookback_weeks * 8)
        same = [
            i
            for i in range(min(idx, len(dates)) - 1, max(0, idx - 7 * lookback_weeks * 8) - 1, -1)
            if kinds.get(dates[i]) == kind and totals[i] > 0
        ]
        if same:
            shape = _profile(arr[same[:PROFILE_DAYS]])
    return level * shape


def _level(
    arr: FloatArray,
    dates: Sequence[date],
    kinds: Mapping[date, str],
    idx: int,
    start: int,
    weekday: int,
    rows: list[int],
    normal_rows: Callable[[int], list[int]],
) -> float:
    """The target weekday's expected total: its own recent level (weights halving every LEVEL_HALF_LIFE weeks),
    moved by how the last RECENT_DAYS normal days of any weekday ran against their own weekday levels."""
    totals = arr.sum(axis=1)
    w = _weights(len(rows), LEVEL_HALF_LIFE)
    own = float((w * totals[rows]).sum() / w.sum())
    weekday_level = {}
    for wd in range(7):
        r = normal_rows(wd)
        if r:
            weekday_level[wd] = float(np.median(totals[r]))
    ratios: list[float] = []
    for i in range(min(idx, len(dates)) - 1, start - 1, -1):
        if len(ratios) >= RECENT_DAYS:
            break
        ref = weekday_level.get(dates[i].weekday(), 0.0)
        if (
            kinds.get(dates[i], DayKind.NORMAL) == DayKind.NORMAL
            and ref > 0
            and ANOMALY_LOW <= totals[i] / ref <= ANOMALY_HIGH
        ):
            ratios.append(totals[i] / ref)
    if not ratios or weekday not in weekday_level or weekday_level[weekday] <= 0:
        return own
    wr = _weights(len(ratios), RECENT_DAYS / 2)
    recent = weekday_level[weekday] * float((wr * np.asarray(ratios)).sum() / wr.sum())
    return RECENT_WEIGHT * recent + (1 - RECENT_WEIGHT) * own


def _profile(rows: FloatArray) -> FloatArray:
    sums = rows.sum(axis=1, keepdims=True)
    ok = sums[:, 0] > 0
    if not ok.any():
        return np.full(rows.shape[1], 1.0 / rows.shape[1])
    shares = rows[ok] / sums[ok]
    w = _weights(int(ok.sum()), PROFILE_DAYS / 2)
    return np.asarray((w[:, None] * shares).sum(axis=0) / w.sum(), dtype=float)


def _kind_ratio(
    arr: FloatArray, dates: Sequence[date], kinds: Mapping[date, str], kind: str, idx: int, weeks: int
) -> float:
    """Mean ratio of past ``kind`` days' totals to the normal days of the same weekday around them."""
    ratios: list[float] = []
    totals = arr.sum(axis=1)
    for i in range(min(idx, len(dates)) - 1, max(0, idx - 7 * weeks) - 1, -1):
        if kinds.get(dates[i]) != kind:
            continue
        ref = [
            j
            for j in (i - 7, i - 14, i + 7, i + 14)
            if 0 <= j < min(idx, len(dates)) and kinds.get(dates[j], DayKind.NORMAL) == DayKind.NORMAL
        ]
        ref_total = float(np.mean(totals[ref])) if ref else 0.0
        if ref_total > 0:
            ratios.append(totals[i] / ref_total)
    return float(np.mean(ratios)) if ratios else DEFAULT_RATIOS.get(str(kind), 1.0)


def forecast_day(
    method: Method | str,
    counts: ArrayLike,
    dates: Sequence[date],
    target: date,
    *,
    kinds: Mapping[date, str] | None = None,
) -> FloatArray:
    if Method(method) == Method.BASELINE:
        return baseline_forecast(counts, dates, target)
    return profile_forecast(counts, dates, target, kinds=kinds)


def backtest(
    method: Method | str,
    counts: ArrayLike,
    dates: Sequence[date],
    *,
    kinds: Mapping[date, str] | None = None,
    backtest_days: int = 28,
    min_history_days: int = 28,
) -> tuple[float, FloatArray, FloatArray]:
    """Rolling-origin, one-day-ahead backtest over the last ``backtest_days`` days.

    Returns (WAPE, actual, forecast) with actual and forecast as day × slot matrices of the tested days.
    """
    arr = _check(counts, dates)
    first = max(min_history_days, len(dates) - backtest_days)
    if first >= len(dates):
        raise ValueError(f"a backtest needs more than {min_history_days} days of history")
    preds = np.vstack(
        [forecast_day(method, arr[:i], dates[:i], dates[i], kinds=kinds) for i in range(first, len(dates))]
    )
    actual = arr[first:]
    return wape(actual, preds), actual, preds


def choose_method(
    counts: ArrayLike,
    dates: Sequence[date],
    *,
    kinds: Mapping[date, str] | None = None,
    backtest_days: int = 28,
) -> ForecastResult:
    """Backtest both methods and keep the better; with too little history the baseline is used untested."""
    arr = _check(counts, dates)
    scores: dict[str, float] = {}
    if len(dates) > 28:
        for m in Method:
            scores[m.value] = backtest(
                m,
                arr,
                dates,
                kinds=kinds,
                backtest_days=backtest_days,
                min_history_days=min(28, len(dates) - 1),
            )[0]
    if scores and all(np.isfinite(v) for v in scores.values()):
        best = Method(min(scores, key=lambda k: scores[k]))
    else:
        best = Method.PROFILE if len(dates) >= 7 else Method.BASELINE
    return ForecastResult(method=best, wape=scores)


def aht_forecast(
    calls: ArrayLike,
    handle_seconds: ArrayLike,
    dates: Sequence[date],
    target: date,
    *,
    weeks: int = BASELINE_WEEKS,
    prior_calls: float = 20.0,
    default_aht: float = 180.0,
) -> FloatArray:
    """AHT per slot for ``target``: handled seconds / calls of the same weekday's slot over ``weeks`` weeks,
    shrunk toward the day-wide AHT with the weight of ``prior_calls`` calls (sparse slots are noisy)."""
    c = _check(calls, dates)
    h = np.asarray(handle_seconds, dtype=float)
    if h.shape != c.shape:
        raise ValueError("handle_seconds must have the shape of calls")
    idx = _index_of(dates, target)
    rows = [idx - 7 * k for k in range(1, weeks + 1) if idx - 7 * k >= 0]
    if not rows:
        rows = list(range(max(0, idx - 7), min(idx, len(dates))))
    if not rows or c[rows].sum() <= 0:
        return np.full(c.shape[1], default_aht)
    sc = c[rows].sum(axis=0)
    sh = h[rows].sum(axis=0)
    overall = sh.sum() / sc.sum()
    return np.asarray((sh + prior_calls * overall) / (sc + prior_calls), dtype=float)
