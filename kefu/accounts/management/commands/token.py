"""`kefu token USERNAME [--name NAME]`: print a new API Bearer token for a user."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.accounts.models import User
from kefu.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (only its hash is stored: keep it now)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, e.g. 'CRM integration'.")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is not active.")
        _row, token = api_token_create(user=user, name=name or "cli")
        # Only the token on stdout, so scripts can do TOKEN=$(kefu token agent1).
        self.stdout.write(token)
