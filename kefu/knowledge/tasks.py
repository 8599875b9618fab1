"""Background work of knowledge. The search index itself is updated in the services' own
transactions; only the optional semantic vectors are computed here, off the request."""

from __future__ import annotations

from django.tasks import task

from kefu.knowledge import semantic


@task()
def knowledge_embed_task(*, doc_ids: list[int]) -> int:
    """Store current e5 vectors of these SearchDoc rows (when semantic search is on); returns how
    many were embedded."""
    return semantic.embed_docs(doc_ids) if semantic.enabled() else 0
