"""One BLAS thread for small numeric work in a request.

numpy's BLAS (OpenBLAS) starts a thread per core and lets them spin between calls. For one ticket's
or one query's e5 embedding that costs far more than the arithmetic: measured on the 2-core
machine, one embedding took 457 ms of CPU (p50) with the default threads against 12.7 ms with one,
because the idle threads spin against the web server's other work. Batches (training, indexing)
keep every thread. threadpoolctl comes with scikit-learn.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from threadpoolctl import ThreadpoolController

SMALL = 16  # up to this many texts run on one thread
_controller: list[Any] = []


@contextlib.contextmanager
def small_work(n: int) -> Iterator[None]:
    """Run the block on one BLAS/OpenMP thread when it handles at most SMALL items."""
    if n > SMALL:
        yield
        return
    if not _controller:
        _controller.append(ThreadpoolController())  # after numpy has loaded its BLAS
    with _controller[0].limit(limits=1):
        yield
