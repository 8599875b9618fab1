"""Background work. The index is updated in the services' own transactions, so none is needed yet."""

from __future__ import annotations
