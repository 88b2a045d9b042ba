"""The retention purge: remove the oldest audit entries at once, anchoring the chain so it stays verifiable."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from apps.audit import recorder
from apps.platform.commands import OrderflowCommand


class Command(OrderflowCommand):
    help = (
        "Delete every sealed audit entry up to the last one older than --older-than-days, in one transaction; "
        "the last deleted entry's hash becomes the chain's anchor."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than-days", type=int, required=True, help="Keep entries younger than this.")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than_days"]
        if days < 1:
            raise CommandError("--older-than-days must be at least 1")
        deleted, last = recorder.purge_older_than(days)
        if last is None:
            self.stdout.write(f"no audit entries older than {days} days")
            return
        self.stdout.write(f"purged {deleted} audit entries up to position {last}; the chain now starts after it")
