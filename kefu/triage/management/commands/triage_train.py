"""`kefu triage_train`: train a new AI triage model from the handled tickets; promote it only when
its held-out score is not worse than the active model's."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kefu.core.errors import DomainError
from kefu.triage.services import MIN_EXAMPLES, triage_train


class Command(BaseCommand):
    help = "Train the AI triage model (category, priority, complaint, team) from resolved and closed tickets."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--min", type=int, default=MIN_EXAMPLES, help="Fewest tickets to train on.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            row = triage_train(min_examples=options["min"], note="triage_train")
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(
            f"model v{row.version}: {row.n_train} train / {row.n_test} held out, {row.seconds:.1f} s, "
            f"score {row.score:.3f}" + (f" (active v{row.previous_version}: {row.previous_score:.3f})" if row.previous_score is not None else "")
        )
        for name, s in row.scores.get("fields", {}).items():
            self.stdout.write(f"  {name:<10} accuracy {s['accuracy']:.3f}  macro-F1 {s['macro_f1']:.3f}  (n={s['n']})")
        self.stdout.write("promoted" if row.promoted else "not promoted: the active model scores better")
