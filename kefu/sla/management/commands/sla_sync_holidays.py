"""`kefu sla_sync_holidays [--year Y]`: re-seed Chinese holidays and 调休 days from chinese-calendar."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kefu.sla.models import BusinessCalendar
from kefu.sla.services import calendar_sync_holidays


class Command(BaseCommand):
    help = "Seed holidays and make-up working days from the chinese-calendar package; manual days are kept."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--year", type=int, action="append", help="Only this year (repeatable). Default: all known.")

    def handle(self, *args: Any, **options: Any) -> None:
        years = options["year"]
        calendars = BusinessCalendar.objects.filter(is_24x7=False, follows_chinese_holidays=True)
        for cal in calendars:
            try:
                counts = calendar_sync_holidays(calendar=cal, years=years)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"{cal.name}: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['deleted']} deleted, {counts['kept_manual']} manual kept"
            )
