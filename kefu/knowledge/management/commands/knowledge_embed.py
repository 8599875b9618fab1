"""`kefu knowledge_embed`: store the e5 vectors of every knowledge document (semantic option)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kefu.knowledge import semantic
from kefu.knowledge.models import SearchDoc


class Command(BaseCommand):
    help = ("Compute and store the semantic vectors of every article, canned reply and case that lacks a "
            "current one (after switching KEFU_SEMANTIC on, or after an upgrade of the embedding).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", type=int, default=64)

    def handle(self, *args: Any, **options: Any) -> None:
        if not semantic.available():
            raise CommandError("the semantic extra is not installed (pip install 'kefu[semantic]')")
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        ids = list(SearchDoc.objects.order_by("pk").values_list("pk", flat=True))
        started = time.monotonic()
        done = semantic.embed_docs(ids, batch=options["batch"])
        self.stdout.write(f"knowledge_embed: {done} of {len(ids)} documents embedded "
                          f"({time.monotonic() - started:.1f} s); the rest were current")
