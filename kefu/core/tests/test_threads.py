"""Small numeric work runs on one BLAS thread; batches keep every thread."""

from __future__ import annotations

import numpy as np  # loads the BLAS threadpoolctl limits
from threadpoolctl import threadpool_info

from kefu.core.threads import SMALL, small_work


def _blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_one_thread_for_a_small_batch_and_back_after() -> None:
    assert np.ones(2) @ np.ones(2) == 2.0
    before = _blas_threads()
    assert before, "numpy's BLAS is not visible to threadpoolctl"
    with small_work(1):
        assert _blas_threads() == {1}
    assert _blas_threads() == before
    with small_work(SMALL + 1):
        assert _blas_threads() == before
