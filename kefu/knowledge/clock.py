"""No time-driven knowledge work yet: the "due for review" list is a query on review_by
(partial index kb_article_review_idx), read when the owner opens the knowledge page."""

from __future__ import annotations
