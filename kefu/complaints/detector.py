"""The early-warning detector (投诉预警): pure code, no ORM.

A series is the complaint count of one slice (all complaints, a category subtree, a team, a
channel) per hour. Its baseline is a weekday EWMA with Chinese-calendar awareness: a level (the
deseasonalised daily mean), one factor per day type (Monday … Sunday, plus public holiday; a
make-up working day 调休 counts as a Monday) and a share per hour of day. Noise is negative
binomial: variance = mu + phi * mu², with phi learnt from the residuals.

Two checks:
- daily: a CUSUM of the standardised residual (k, h) plus a one-day Shewhart limit, so a single
  tall day and a run of moderately high days both alarm;
- hourly: the last 1, 2 and 3 hours (the current hour counted in part) against the expected count
  of the same window, as a negative-binomial tail probability, so a ×3 surge shows within 2 hours.

Updates are robust: a day that alarms enters the baseline winsorised at mu + 2 sd, so a spike
does not teach the baseline that spikes are normal. `bench/complaints/detector_bench.py` measures it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date

from scipy import stats

HOLIDAY = 7  # day type of a public holiday; 0..6 are Monday..Sunday
DAY_TYPES = 8


def day_type(
    day: date,
    holidays: frozenset[date] | set[date] = frozenset(),
    workdays: frozenset[date] | set[date] = frozenset(),
) -> int:
    """0..6 weekday, 7 public holiday; a make-up working day (调休) behaves like a Monday."""
    if day in holidays:
        return HOLIDAY
    if day in workdays:
        return 0
    return day.weekday()


@dataclass(frozen=True)
class Params:
    level_alpha: float = 0.08  # EWMA weight of a new day in the level
    factor_beta: float = 0.05  # EWMA weight in a day-type factor
    share_gamma: float = 0.05  # EWMA weight of a day's hour profile
    phi_alpha: float = 0.03  # EWMA weight in the overdispersion estimate
    k: float = 0.5  # CUSUM allowance (in sd)
    h: float = 4.0  # CUSUM decision limit (in sd)
    shewhart: float = 3.5  # one-day limit (in sd)
    warmup_days: int = 28
    hour_p: float = 0.001  # hourly tail probability that alarms (before the 3-window correction)
    hour_min_count: int = 4  # fewer complaints in the window never alarm hourly
    min_mu: float = 0.3


DEFAULT_PARAMS = Params()


@dataclass
class Baseline:
    level: float = 0.0
    factors: list[float] = field(default_factory=lambda: [1.0] * DAY_TYPES)
    hour_share: list[float] = field(default_factory=lambda: [1.0 / 24] * 24)
    phi: float = 0.1
    cusum: float = 0.0
    days: int = 0

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object] | None) -> Baseline:
        if not data:
            return cls()
        b = cls()
        for name in ("level", "phi", "cusum"):
            setattr(b, name, float(data.get(name, getattr(b, name))))  # type: ignore[arg-type]
        b.days = int(data.get("days", 0))  # type: ignore[call-overload]
        factors = data.get("factors")
        if isinstance(factors, list) and len(factors) == DAY_TYPES:
            b.factors = [float(x) for x in factors]
        share = data.get("hour_share")
        if isinstance(share, list) and len(share) == 24:
            b.hour_share = [float(x) for x in share]
        return b

    def expected_day(self, dtype: int) -> float:
        return self.level * self.factors[dtype]

    def variance(self, mu: float) -> float:
        return mu + self.phi * mu * mu


@dataclass(frozen=True)
class DayVerdict:
    observed: int
    expected: float
    z: float
    cusum: float
    alarm: bool
    warming_up: bool

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else float(self.observed or 0)


def update_day(
    b: Baseline, observed: int, dtype: int, p: Params = DEFAULT_PARAMS, hours: Sequence[int] | None = None
) -> DayVerdict:
    """Check one finished day against the baseline, then learn from it (in place)."""
    warming = b.days < p.warmup_days
    if b.days == 0:
        b.level = float(observed)
    mu = max(b.expected_day(dtype), p.min_mu)
    sd = math.sqrt(b.variance(mu))
    z = (observed - mu) / sd
    alarm = False
    cusum = b.cusum
    if not warming:
        cusum = max(0.0, b.cusum + z - p.k)
        alarm = cusum > p.h or z > p.shewhart
    # Learn, winsorised: an outlier day enters at most 2 sd above the expectation.
    x = min(float(observed), mu + 2 * sd) if not warming or b.days >= 7 else float(observed)
    # During warm-up the level learns faster (a plain running mean for the first days).
    alpha = max(p.level_alpha, 1.0 / (b.days + 1)) if warming else p.level_alpha
    factor = b.factors[dtype]
    b.level = max(0.0, b.level + alpha * (x / factor - b.level)) if factor > 0 else b.level
    if b.level > 0:
        beta = max(p.factor_beta, 1.0 / (b.days // 7 + 2)) if warming else p.factor_beta
        b.factors[dtype] = min(5.0, max(0.05, factor + beta * (x / b.level - factor)))
        weekday_mean = sum(b.factors[:7]) / 7
        if weekday_mean > 0:
            b.factors = [f / weekday_mean for f in b.factors]
    if mu >= 1.0:
        excess = ((x - mu) ** 2 - mu) / (mu * mu)
        b.phi = min(2.0, max(0.0, b.phi + p.phi_alpha * (excess - b.phi)))
    if hours is not None and sum(hours) > 0 and not alarm:
        total = float(sum(hours))
        b.hour_share = [
            (1 - p.share_gamma) * s + p.share_gamma * (c / total)
            for s, c in zip(b.hour_share, hours, strict=True)
        ]
    b.cusum = 0.0 if alarm else cusum
    b.days += 1
    return DayVerdict(observed=observed, expected=mu, z=z, cusum=cusum, alarm=alarm, warming_up=warming)


def nb_tail(observed: int, mu: float, phi: float) -> float:
    """P(X >= observed) for a negative binomial with mean mu and variance mu + phi mu²."""
    if observed <= 0:
        return 1.0
    mu = max(mu, 1e-9)
    if phi < 1e-6:
        return float(stats.poisson.sf(observed - 1, mu))
    r = 1.0 / phi
    return float(stats.nbinom.sf(observed - 1, r, r / (r + mu)))


@dataclass(frozen=True)
class HourVerdict:
    observed: int
    expected: float
    window: int  # hours
    p: float
    alarm: bool

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else float(self.observed or 0)


def check_hours(
    b: Baseline,
    dtype: int,
    counts: Sequence[int],
    hours_of_day: Sequence[int],
    p: Params = DEFAULT_PARAMS,
    *,
    last_fraction: float = 1.0,
) -> HourVerdict:
    """The last 1..3 hours (oldest first; the last one may be the current hour, `last_fraction` of it
    gone) against their expectation. Returns the most surprising window."""
    best: HourVerdict | None = None
    if b.days < p.warmup_days:
        return HourVerdict(observed=sum(counts[-1:]), expected=0.0, window=1, p=1.0, alarm=False)
    day_mu = b.expected_day(dtype)
    for w in range(1, min(3, len(counts)) + 1):
        obs = int(sum(counts[-w:]))
        exp = 0.0
        for i, hod in enumerate(hours_of_day[-w:]):
            share = b.hour_share[hod]
            exp += day_mu * share * (last_fraction if i == w - 1 else 1.0)
        exp = max(exp, 0.05)
        tail = nb_tail(obs, exp, b.phi)
        verdict = HourVerdict(
            observed=obs,
            expected=exp,
            window=w,
            p=tail,
            alarm=tail * 3 < p.hour_p and obs >= p.hour_min_count,
        )
        if best is None or verdict.p < best.p:
            best = verdict
    assert best is not None
    return best


@dataclass(frozen=True)
class LevelRule:
    code: str
    rank: int
    min_ratio: float
    min_count: int


def grade(ratio: float, observed: int, levels: Iterable[LevelRule]) -> LevelRule | None:
    """The highest level whose ratio and count thresholds the alarm reaches (None below the lowest)."""
    best = None
    for level in sorted(levels, key=lambda lv: lv.rank):
        if ratio >= level.min_ratio and observed >= level.min_count:
            best = level
    return best
