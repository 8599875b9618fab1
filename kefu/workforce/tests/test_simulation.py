"""Erlang C and Erlang A against a discrete-event simulation (ciw, a test-only dependency).

Each operating point is simulated in independent replications (fixed seeds, so the test is deterministic); per
replication the arrivals of a window after a warm-up, and early enough that all of them have left, are scored.
The closed forms must lie within 2 standard errors of the replication mean for P(wait), service level within T
(over all arrivals), ASA of answered calls and, for Erlang A, the abandonment share.
"""

from __future__ import annotations

import ciw
import numpy as np
import pytest

from kefu.workforce.engine import erlang_a_metrics, erlang_c_metrics

REPLICATIONS = 12
ARRIVALS = 2500  # scored arrivals per replication (about)


def _simulate(n: int, load: float, patience: float | None, target: float, seed: int) -> dict[str, float]:
    lam, aht = load, 1.0  # time in units of the AHT
    warmup, tail = 20.0, 30.0
    horizon = warmup + ARRIVALS / lam + tail
    kwargs = {}
    if patience is not None:
        kwargs["reneging_time_distributions"] = [ciw.dists.Exponential(1.0 / patience)]
    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(lam)],
        service_distributions=[ciw.dists.Exponential(1.0 / aht)],
        number_of_servers=[n],
        **kwargs,
    )
    ciw.seed(seed)
    sim = ciw.Simulation(net)
    sim.simulate_until_max_time(horizon)
    recs = [r for r in sim.get_all_records() if warmup <= r.arrival_date < horizon - tail]
    wait = np.array([r.waiting_time for r in recs])
    served = np.array([r.record_type == "service" for r in recs])
    return {
        "p_wait": float(np.mean(wait > 1e-12)),
        "service_level": float(np.mean(served & (wait <= target))),
        "asa": float(wait[served].mean()),
        "p_abandon": float(np.mean(~served)),
    }


POINTS = [
    # (agents, Erlangs, patience in AHTs or None for Erlang C, answer target in AHTs)
    pytest.param(4, 3.0, None, 0.2, id="erlang-c-4-agents-75pct"),
    pytest.param(10, 8.5, None, 0.1, id="erlang-c-10-agents-85pct"),
    pytest.param(8, 9.0, 1.0, 0.1, id="erlang-a-fewer-agents-than-load"),
    pytest.param(5, 4.0, 3.0, 0.2, id="erlang-a-patient-callers"),
]


@pytest.mark.parametrize(("n", "load", "patience", "target"), POINTS)
def test_closed_forms_agree_with_simulation(n, load, patience, target):
    runs = [_simulate(n, load, patience, target, seed) for seed in range(101, 101 + REPLICATIONS)]
    if patience is None:
        m = erlang_c_metrics(n, load, aht=1.0, target=target)
    else:
        m = erlang_a_metrics(n, load, aht=1.0, patience=patience, target=target)
    keys = ["p_wait", "service_level", "asa"] + (["p_abandon"] if patience is not None else [])
    for key in keys:
        sample = np.array([r[key] for r in runs])
        mean, se = sample.mean(), sample.std(ddof=1) / np.sqrt(len(sample))
        exact = float(getattr(m, key))
        assert abs(mean - exact) <= 2 * se, f"{key}: simulated {mean:.4f} ± {se:.4f}, closed form {exact:.4f}"
