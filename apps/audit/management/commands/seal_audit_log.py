"""Seal the audit entries waiting for it now, as beat's ``audit.seal`` task does every second."""

from __future__ import annotations

from typing import Any

from apps.audit import sealer
from apps.platform.commands import OrderflowCommand, progress_bar


class Command(OrderflowCommand):
    help = "Link every committed, unsealed audit entry into the hash chain (beat's audit.seal does it every second)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        waiting = sealer.unsealed()["count"]
        sealed = 0
        with progress_bar(
            self.stdout, total=waiting, description="sealing", unit="entries", quiet=options["quiet"]
        ) as bar:
            while True:
                count = sealer.seal(wait=True)  # after beat's tick, if one is sealing now
                sealed += count
                bar.update(count)
                if count < sealer.BATCH:
                    break
        self.stdout.write(f"sealed {sealed} audit {'entry' if sealed == 1 else 'entries'}")
