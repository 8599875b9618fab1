"""Erlang B, C and A in numerically stable, vectorised form.

Models (Poisson arrivals, exponential handling times, ``n`` agents, offered load ``A = λ·AHT`` Erlangs):

* Erlang B: M/M/n/n, blocked calls are lost.
* Erlang C: M/M/n, callers wait forever (first come, first served).
* Erlang A: M/M/n+M, each waiting caller abandons after an exponential patience with mean ``patience``
  (Palm 1943; Garnett, Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn 2007).

Units: loads in Erlangs, every time in seconds. Every function broadcasts its array arguments with numpy rules and
returns float64 arrays of the broadcast shape (0-d for scalar inputs). ``n`` must hold whole numbers.

Numerical approach (see docs/workforce.md for the derivations):

* Erlang B is computed in log space as ``log B = log pmf(n; A) − log P(X ≤ n)`` for ``X ~ Poisson(A)``, with
  ``P(X ≤ n) = gammaincc(n + 1, A)``. Where that tail underflows (``n`` far below ``A``) the finite series
  ``1/B = Σ_j n!/(n−j)!/A^j`` is summed instead; its ratio is below ``n/A`` there, so it converges fast.
* Erlang C comes from Erlang B: ``C = B / (B + (1 − A/n)(1 − B))``.
* Erlang A uses the regularised lower incomplete gamma function ``P(s, y)`` (``scipy.special.gammainc``) with
  ``x = λ/θ`` and ``a = nμ/θ``; again in log space, with a series fallback where ``P`` underflows.

No Django, no ORM: this module is imported by services, pages, benchmarks and tests alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = [
    "QueueMetrics",
    "ServiceLevelDefinition",
    "erlang_a_metrics",
    "erlang_a_service_level",
    "erlang_b",
    "erlang_c",
    "erlang_c_metrics",
]

FloatArray = NDArray[np.float64]

# Below this a double has too few significant bits left to take a useful logarithm; switch to the series.
_TINY = 1e-280
_SERIES_EPS = 1e-17
_MAX_SERIES_TERMS = 10_000_000
# Half-width, in standard deviations, of the Poisson window summed for the Erlang A answered-ASA series.
# The neglected tail is below exp(-_WINDOW_SD**2 / 2) ≈ 1.3e-14 of the sum.
_WINDOW_SD = 8.0
_MAX_CELLS = 1 << 21


class ServiceLevelDefinition(StrEnum):
    """Which calls count in the service-level ratio "answered within T".

    ALL_ARRIVALS (the default everywhere): answered within T / all arrivals. Abandoned calls count as misses.
    ANSWERED: answered within T / answered calls. Ignores abandonment entirely (flatters an understaffed queue).
    EXCLUDING_SHORT_ABANDONS: answered within T / (arrivals − calls abandoned within ``short_abandon`` seconds).
    In Erlang C (no abandonment) all three are the same number.
    """

    ALL_ARRIVALS = "all_arrivals"
    ANSWERED = "answered"
    EXCLUDING_SHORT_ABANDONS = "excluding_short_abandons"


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """Steady-state performance of one queue per element of the broadcast inputs.

    p_wait: probability an arriving call waits at all (all agents busy), P(W > 0).
    p_abandon: probability an arriving call abandons (always 0 in Erlang C).
    service_level: P(answered within ``target`` seconds), over all arrivals.
    service_level_answered: P(waited at most ``target`` | answered).
    asa: average speed of answer, mean wait of answered calls (seconds).
    mean_wait: mean time in queue over all arrivals, abandoned calls included (seconds); equals ``asa`` in Erlang C.
    occupancy: fraction of time agents are busy with calls, carried load / n.

    Unstable Erlang C queues (n ≤ A with A > 0) report p_wait 1, service levels 0, asa and mean_wait inf,
    occupancy 1. A queue without traffic (A = 0) reports p_wait 0, service levels 1, waits 0, occupancy 0.
    """

    p_wait: FloatArray
    p_abandon: FloatArray
    service_level: FloatArray
    service_level_answered: FloatArray
    asa: FloatArray
    mean_wait: FloatArray
    occupancy: FloatArray


# --------------------------------------------------------------------------------------------------------------
# Input handling


def _floats(name: str, value: ArrayLike) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {value!r}") from exc
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not contain NaN")
    return arr


def _check_agents(n: FloatArray) -> None:
    if not np.isfinite(n).all() or (n < 0).any() or (n != np.floor(n)).any():
        raise ValueError("n (agents) must be whole numbers >= 0")


def _check(name: str, arr: FloatArray, *, positive: bool) -> None:
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite")
    if positive and (arr <= 0).any():
        raise ValueError(f"{name} must be > 0")
    if not positive and (arr < 0).any():
        raise ValueError(f"{name} must be >= 0")


def _broadcast(*arrays: FloatArray) -> tuple[tuple[int, ...], list[FloatArray]]:
    """Broadcast, then flatten to contiguous 1-d copies (the kernels below work on 1-d arrays)."""
    b = np.broadcast_arrays(*arrays)
    shape = b[0].shape
    return shape, [np.array(x, dtype=np.float64).reshape(-1) for x in b]


# --------------------------------------------------------------------------------------------------------------
# Kernels: 1-d float64 arrays in, 1-d arrays out; callers guarantee the preconditions. staffing.py calls them
# directly so that its search evaluates exactly the numbers the public functions report.


_STIRLING_MIN = 16.0
_LOG_2PI = float(np.log(2.0 * np.pi))


def _log_poisson_weight(s: FloatArray, y: FloatArray) -> FloatArray:
    """log(y^s e^{−y} / Γ(s+1)) for s >= 0, y > 0: the Poisson pmf, extended to real s.

    The naive ``s·log y − y − lnΓ(s+1)`` subtracts numbers of size s·log y and loses about 1e-12 relative at
    2,000 agents (1e-10 at 100,000). For s >= 16 we use Loader's saddle-point form instead:
    −½·log(2πs) − stirlerr(s) − y·φ((s − y)/y), with φ(u) = (1+u)·log1p(u) − u summed as a series near 0.
    """
    out = special.xlogy(s, y) - y - special.gammaln(s + 1.0)
    # The cancellation only bites near the peak, y ≈ s; elsewhere the naive form is as good.
    big = (s >= _STIRLING_MIN) & (y > 0.25 * s) & (y < 4.0 * s)
    if big.any():
        sb, yb = s[big], y[big]
        inv = 1.0 / sb
        inv2 = inv * inv
        stirlerr = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))))
        u = (sb - yb) / yb
        phi = np.empty_like(u)
        near = np.abs(u) < 0.1
        un = u[near]
        # φ(u) = Σ_{k≥2} (−1)^k u^k / (k(k−1)); 18 terms reach 1e-19 relative for |u| < 0.1.
        acc = np.zeros_like(un)
        for k in range(19, 1, -1):
            acc = ((-1) ** k) / (k * (k - 1)) + un * acc
        phi[near] = acc * un * un
        far = ~near
        uf = u[far]
        phi[far] = (1.0 + uf) * np.log1p(uf) - uf
        out[big] = -0.5 * (_LOG_2PI + np.log(sb)) - stirlerr - yb * phi
    return out


def _log_erlang_b(n: FloatArray, load: FloatArray) -> FloatArray:
    """log B(n, A) for n >= 0 and A > 0."""
    log_pmf = _log_poisson_weight(n, load)
    cdf = special.gammaincc(n + 1.0, load)  # P(Poisson(A) <= n)
    low = cdf < _TINY
    with np.errstate(divide="ignore"):
        out = log_pmf - np.log(cdf)
    if low.any():
        out[low] = -np.log(_inverse_erlang_b_series(n[low], load[low]))
    return out


def _inverse_erlang_b_series(n: FloatArray, load: FloatArray) -> FloatArray:
    """1/B = Σ_{j=0..n} n(n−1)…(n−j+1) / A^j, used only where n is well below A (ratio < n/A < 1)."""
    total = np.ones_like(n)
    term = np.ones_like(n)
    for j in range(1, _MAX_SERIES_TERMS):
        term *= np.maximum(n - (j - 1), 0.0) / load
        total += term
        if (term <= _SERIES_EPS * total).all():
            return total
    raise ArithmeticError("Erlang B series did not converge")  # pragma: no cover


def _log_g(s: FloatArray, y: FloatArray) -> FloatArray:
    """log of g(s, y) = y^s e^{−y} / Γ(s+1) = P(s, y) − P(s+1, y), for s >= 0, y >= 0."""
    out = np.full(np.broadcast(s, y).shape, -np.inf)
    s_b, y_b = np.broadcast_arrays(s, y)
    pos = y_b > 0
    out[pos] = _log_poisson_weight(s_b[pos], y_b[pos])
    out[~pos & (s_b == 0)] = 0.0
    return out


def _log_gammainc(s: FloatArray, y: FloatArray) -> FloatArray:
    """log P(s, y), the regularised lower incomplete gamma function, for s >= 0 and y >= 0."""
    p = special.gammainc(s, y)
    with np.errstate(divide="ignore"):
        out = np.log(p)
    low = (p < _TINY) & (y > 0)
    if low.any():
        out[low] = _log_g(s[low], y[low]) + np.log(_gammainc_series(s[low], y[low]))
    return out


def _gammainc_series(s: FloatArray, y: FloatArray) -> FloatArray:
    """P(s, y) / g(s, y) = Σ_k y^k / ((s+1)…(s+k)); used only where P underflows, i.e. y well below s."""
    total = np.ones_like(s)
    term = np.ones_like(s)
    for k in range(1, _MAX_SERIES_TERMS):
        term *= y / (s + k)
        total += term
        if (term <= _SERIES_EPS * total).all():
            return total
    raise ArithmeticError("incomplete gamma series did not converge")  # pragma: no cover


def _erlang_c_p_wait(n: FloatArray, load: FloatArray) -> FloatArray:
    """Erlang C for n > A > 0."""
    b = np.exp(_log_erlang_b(n, load))
    return b / (b + (1.0 - load / n) * (1.0 - b))


@dataclass(frozen=True, slots=True)
class _ErlangACore:
    """Shared intermediate values of Erlang A for n >= 0, A > 0 (1-d arrays)."""

    a: FloatArray  # nμ/θ
    x: FloatArray  # λ/θ
    log_pax: FloatArray  # log P(a, x)
    p_wait: FloatArray
    p_abandon: FloatArray

    def take(self, idx: NDArray[np.intp]) -> _ErlangACore:
        return _ErlangACore(
            a=self.a[idx],
            x=self.x[idx],
            log_pax=self.log_pax[idx],
            p_wait=self.p_wait[idx],
            p_abandon=self.p_abandon[idx],
        )


# Loads below this are evaluated at this value: every metric is then at its no-traffic limit to double
# precision, and ratios such as a/x stay finite instead of turning into inf·0.
_MIN_LOAD = 1e-250


def _erlang_a_core(n: FloatArray, load: FloatArray, aht: FloatArray, patience: FloatArray) -> _ErlangACore:
    load = np.maximum(load, _MIN_LOAD)
    ratio = patience / aht
    x = load * ratio
    a = n * ratio
    log_b = _log_erlang_b(n, load)
    log_pax = _log_gammainc(a, x)
    # J = Σ_j Π_{k≤j} λ/(nμ + kθ) = P(a, x) / g(a, x) >= 1: the waiting states' mass relative to state n.
    log_j = log_pax - _log_g(a, x)
    with np.errstate(divide="ignore", over="ignore"):
        # log(1/B − 1) = log(Σ_{j<n} π_j / π_n); −inf when n = 0. exp overflows to inf where p_wait is 0.
        log_idle = np.log(-np.expm1(log_b)) - log_b
        p_wait = 1.0 / (1.0 + np.exp(log_idle - log_j))
    # P(Ab | W > 0) = 1 − (a/x)(1 − 1/J): flow balance λ·P(Ab) = θ·E[queue].
    p_ab_waiting = 1.0 - (a / x) * -np.expm1(-log_j)
    return _ErlangACore(
        a=a, x=x, log_pax=log_pax, p_wait=p_wait, p_abandon=p_wait * np.clip(p_ab_waiting, 0, 1)
    )


def _erlang_a_answered_after(core: _ErlangACore, z: FloatArray) -> FloatArray:
    """P(answered and waited longer than t), z = exp(−t/patience): p_wait · (a/x) · P(a+1, xz) / P(a, x)."""
    log_ratio = _log_gammainc(core.a + 1.0, core.x * z) - core.log_pax
    return core.p_wait * (core.a / core.x) * np.exp(log_ratio)


def _erlang_a_still_waiting(core: _ErlangACore, z: FloatArray) -> FloatArray:
    """P(W > t), neither answered nor abandoned after t seconds: p_wait · z · P(a, xz) / P(a, x)."""
    log_ratio = _log_gammainc(core.a, core.x * z) - core.log_pax
    return core.p_wait * z * np.exp(log_ratio)


def _erlang_a_answered_wait_sum(core: _ErlangACore) -> FloatArray:
    """S = Σ_{k≥1} P(a+k, x) / ((a+k) · P(a, x)), so that E[W; answered] = p_wait · patience · (a/x) · S.

    Terms with P(a+k, x) = 1 (a+k more than _WINDOW_SD·√x below x, error below 1e-14) are summed with the
    digamma function. For the rest, P(a+k, x) = Σ_{i≥k} g(a+i, x) turns the sum into Σ_i g(a+i, x)·H_i with
    H_i = Σ_{k≤i} 1/(a+k): positive terms only, g by the ratio g(b+1, x) = g(b, x)·x/(b+1) (no logarithms), over
    a window of 2·_WINDOW_SD·√x + 40 terms around x beyond which the Poisson-shaped g is negligible.
    """
    a, x, log_pax = core.a, core.x, core.log_pax
    sd = np.sqrt(x)
    k0 = np.floor(np.maximum(0.0, x - a - _WINDOW_SD * sd))
    out = np.zeros_like(a)
    far = k0 > 0  # implies x − a > 8√x, so P(a, x) = 1 within ~1e-14
    out[far] = (special.digamma(a[far] + k0[far] + 1.0) - special.digamma(a[far] + 1.0)) * np.exp(
        -log_pax[far]
    )
    # Rows sorted by x share a chunk with rows of similar window width.
    order = np.argsort(x, kind="stable")
    start = 0
    while start < order.size:
        width = int(np.ceil(2.0 * _WINDOW_SD * sd[order[start]] + 40.0))
        rows = max(1, _MAX_CELLS // width)
        sel = order[start : start + rows]
        width = int(np.ceil(2.0 * _WINDOW_SD * sd[sel].max() + 40.0))
        start += sel.size
        b0 = a[sel] + k0[sel] + 1.0
        xs = x[sel]
        inv = 1.0 / (b0[:, None] + np.arange(width, dtype=np.float64)[None, :])
        # g relative to its first term: at most e^{_WINDOW_SD²/2} ≈ 1e14, far from overflow.
        g = np.empty_like(inv)
        g[:, 0] = 1.0
        np.multiply(xs[:, None], inv[:, 1:], out=g[:, 1:])
        np.cumprod(g, axis=1, out=g)
        harmonic = np.cumsum(inv, axis=1)
        g_first = np.exp(_log_g(b0, xs) - log_pax[sel])  # g(a+k0+1, x) / P(a, x) <= 1
        out[sel] += g_first * np.einsum("ij,ij->i", g, harmonic)
    return out


# --------------------------------------------------------------------------------------------------------------
# Public API


def erlang_b(n: ArrayLike, load: ArrayLike) -> FloatArray:
    """Erlang B blocking probability B(n, A) of M/M/n/n; stable for thousands of agents."""
    n_arr, load_arr = _floats("n", n), _floats("load", load)
    _check_agents(n_arr)
    _check("load", load_arr, positive=False)
    shape, (nf, af) = _broadcast(n_arr, load_arr)
    out = np.where(nf == 0, 1.0, 0.0)
    pos = af > 0
    out[pos] = np.exp(_log_erlang_b(nf[pos], af[pos]))
    return out.reshape(shape)


def erlang_c(n: ArrayLike, load: ArrayLike) -> FloatArray:
    """Erlang C: probability an arriving call waits, P(W > 0), in M/M/n. 1 when n ≤ A (unstable queue)."""
    n_arr, load_arr = _floats("n", n), _floats("load", load)
    _check_agents(n_arr)
    _check("load", load_arr, positive=False)
    shape, (nf, af) = _broadcast(n_arr, load_arr)
    out = np.where(af > 0, 1.0, 0.0)
    stable = (nf > af) & (af > 0)
    out[stable] = _erlang_c_p_wait(nf[stable], af[stable])
    return out.reshape(shape)


def erlang_c_metrics(n: ArrayLike, load: ArrayLike, *, aht: ArrayLike, target: ArrayLike) -> QueueMetrics:
    """Erlang C performance with ``n`` agents, ``load`` Erlangs, handling time ``aht`` s, answer target ``target`` s.

    service_level = 1 − C·exp(−(n − A)·target/aht)   (answered within target, over all arrivals)
    asa = C·aht/(n − A);  occupancy = A/n.
    """
    arrays = _floats("n", n), _floats("load", load), _floats("aht", aht), _floats("target", target)
    _check_agents(arrays[0])
    _check("load", arrays[1], positive=False)
    _check("aht", arrays[2], positive=True)
    _check("target", arrays[3], positive=False)
    shape, (nf, af, hf, tf) = _broadcast(*arrays)
    busy = af > 0
    stable = busy & (nf > af)
    p_wait = np.where(busy, 1.0, 0.0)
    sl = np.where(busy, 0.0, 1.0)
    asa = np.where(busy, np.inf, 0.0)
    occ = np.where(busy, 1.0, 0.0)
    ns, as_, hs, ts = nf[stable], af[stable], hf[stable], tf[stable]
    c = _erlang_c_p_wait(ns, as_)
    p_wait[stable] = c
    sl[stable] = 1.0 - c * np.exp(-(ns - as_) * ts / hs)
    asa[stable] = c * hs / (ns - as_)
    occ[stable] = as_ / ns
    zero = np.zeros(shape)
    return QueueMetrics(
        p_wait=p_wait.reshape(shape),
        p_abandon=zero,
        service_level=sl.reshape(shape),
        service_level_answered=sl.reshape(shape).copy(),
        asa=asa.reshape(shape),
        mean_wait=asa.reshape(shape).copy(),
        occupancy=occ.reshape(shape),
    )


def erlang_a_metrics(
    n: ArrayLike, load: ArrayLike, *, aht: ArrayLike, patience: ArrayLike, target: ArrayLike
) -> QueueMetrics:
    """Exact Erlang A (M/M/n+M) performance; ``patience`` is the mean patience in seconds.

    With z = exp(−target/patience), x = A·patience/aht, a = n·patience/aht and P the regularised lower
    incomplete gamma function:
      P(answered, W > t) = p_wait · (a/x) · P(a+1, x·z) / P(a, x)
      service_level = 1 − p_abandon − P(answered, W > target)       (over all arrivals)
      mean_wait = p_abandon · patience;  occupancy = A·(1 − p_abandon)/n.
    asa (answered calls only) has no incomplete-gamma closed form; it is the exact series in
    ``_erlang_a_answered_wait_sum``. n may be below A: abandonment keeps the queue stable.
    """
    arrays = (
        _floats("n", n),
        _floats("load", load),
        _floats("aht", aht),
        _floats("patience", patience),
        _floats("target", target),
    )
    _check_agents(arrays[0])
    _check("load", arrays[1], positive=False)
    _check("aht", arrays[2], positive=True)
    _check("patience", arrays[3], positive=True)
    _check("target", arrays[4], positive=False)
    shape, (nf, af, hf, pf, tf) = _broadcast(*arrays)
    busy = af > 0
    staffed = busy & (nf > 0)
    p_wait = np.where(busy, 1.0, 0.0)
    p_ab = np.where(busy, 1.0, 0.0)
    sl = np.where(busy, 0.0, 1.0)
    sl_answered = np.where(busy, 0.0, 1.0)
    asa = np.where(busy, np.inf, 0.0)
    mean_wait = np.where(busy, pf, 0.0)  # nobody is ever answered: everybody waits out their patience
    occ = np.where(busy, 1.0, 0.0)

    core = _erlang_a_core(nf[staffed], af[staffed], hf[staffed], pf[staffed])
    answered = 1.0 - core.p_abandon
    late = _erlang_a_answered_after(core, np.exp(-tf[staffed] / pf[staffed]))
    wait_sum = _erlang_a_answered_wait_sum(core)
    p_wait[staffed] = core.p_wait
    p_ab[staffed] = core.p_abandon
    # Differences of probabilities: clip the last-bit rounding (−4e-17 when nearly everybody abandons).
    sl[staffed] = np.clip(answered - late, 0.0, 1.0)
    sl_answered[staffed] = np.clip(1.0 - late / answered, 0.0, 1.0)
    asa[staffed] = core.p_wait * pf[staffed] * (core.a / core.x) * wait_sum / answered
    mean_wait[staffed] = core.p_abandon * pf[staffed]
    # Carried load A·(1 − P(Ab)) never exceeds n; clip the last-bit rounding of saturated queues.
    occ[staffed] = np.minimum(af[staffed] * answered / nf[staffed], 1.0)
    return QueueMetrics(
        p_wait=p_wait.reshape(shape),
        p_abandon=p_ab.reshape(shape),
        service_level=sl.reshape(shape),
        service_level_answered=sl_answered.reshape(shape),
        asa=asa.reshape(shape),
        mean_wait=mean_wait.reshape(shape),
        occupancy=occ.reshape(shape),
    )


def erlang_a_service_level(
    n: ArrayLike,
    load: ArrayLike,
    *,
    aht: ArrayLike,
    patience: ArrayLike,
    target: ArrayLike,
    definition: ServiceLevelDefinition | str = ServiceLevelDefinition.ALL_ARRIVALS,
    short_abandon: ArrayLike | None = None,
) -> FloatArray:
    """Erlang A service level within ``target`` seconds under the chosen ``definition``.

    EXCLUDING_SHORT_ABANDONS needs ``short_abandon`` (seconds): calls abandoned within it leave the denominator.
    """
    definition = _definition(definition)
    arrays = [
        _floats("n", n),
        _floats("load", load),
        _floats("aht", aht),
        _floats("patience", patience),
        _floats("target", target),
    ]
    if definition is ServiceLevelDefinition.EXCLUDING_SHORT_ABANDONS:
        if short_abandon is None:
            raise ValueError(
                "short_abandon (seconds) is required for the excluding_short_abandons definition"
            )
        arrays.append(_floats("short_abandon", short_abandon))
        _check("short_abandon", arrays[5], positive=False)
    _check_agents(arrays[0])
    _check("load", arrays[1], positive=False)
    _check("aht", arrays[2], positive=True)
    _check("patience", arrays[3], positive=True)
    _check("target", arrays[4], positive=False)
    shape, flat = _broadcast(*arrays)
    nf, af, hf, pf, tf = flat[:5]
    sf = flat[5] if len(flat) > 5 else None
    out = np.where(af > 0, 0.0, 1.0)
    staffed = (af > 0) & (nf > 0)
    out[staffed] = _erlang_a_sl_kernel(
        nf[staffed],
        af[staffed],
        hf[staffed],
        pf[staffed],
        tf[staffed],
        definition,
        None if sf is None else sf[staffed],
    )
    return out.reshape(shape)


def _definition(value: ServiceLevelDefinition | str) -> ServiceLevelDefinition:
    try:
        return ServiceLevelDefinition(value)
    except ValueError:
        options = ", ".join(d.value for d in ServiceLevelDefinition)
        raise ValueError(f"unknown service-level definition {value!r}; use one of: {options}") from None


def _erlang_a_sl_kernel(
    n: FloatArray,
    load: FloatArray,
    aht: FloatArray,
    patience: FloatArray,
    target: FloatArray,
    definition: ServiceLevelDefinition,
    short_abandon: FloatArray | None,
    core: _ErlangACore | None = None,
) -> FloatArray:
    """Service level for n >= 1, A > 0 (1-d arrays)."""
    if core is None:
        core = _erlang_a_core(n, load, aht, patience)
    answered = 1.0 - core.p_abandon
    on_time = np.clip(answered - _erlang_a_answered_after(core, np.exp(-target / patience)), 0.0, 1.0)
    if definition is ServiceLevelDefinition.ALL_ARRIVALS:
        return on_time
    if definition is ServiceLevelDefinition.ANSWERED:
        return np.minimum(on_time / answered, 1.0)
    assert short_abandon is not None
    zs = np.exp(-short_abandon / patience)
    abandoned_late = np.maximum(_erlang_a_still_waiting(core, zs) - _erlang_a_answered_after(core, zs), 0.0)
    abandoned_early = np.clip(core.p_abandon - abandoned_late, 0.0, core.p_abandon)
    return np.minimum(on_time / (1.0 - abandoned_early), 1.0)
