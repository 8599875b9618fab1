"""Pure statistics for inter-rater agreement (no ORM)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence


def cohen_kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> float | None:
    """Cohen's kappa of two raters over the same subjects: (po - pe) / (1 - pe). None without pairs;
    1.0 when both raters always agree on a single category (pe = 1)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(1 for a, b in pairs if a == b) / n
    left = Counter(a for a, _ in pairs)
    right = Counter(b for _, b in pairs)
    expected = sum(left[c] * right.get(c, 0) for c in left) / (n * n)
    if expected >= 1:
        return 1.0 if observed >= 1 else 0.0
    return round((observed - expected) / (1 - expected), 3)
