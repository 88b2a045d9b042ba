"""Readiness of a process that serves no HTTP (a worker, beat, the dispatcher, a consumer), for an exec probe.

Prints the same JSON as ``/health/ready`` and exits 0 when every check passes, 1 when one fails.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from apps.platform.commands import OrderflowCommand
from apps.platform.readiness import OK, ROLES, readiness


class Command(OrderflowCommand):
    help = "Check that the dependencies of a process role answer (PROCESS_ROLE unless --role); exit 1 if one does not."
    requires_system_checks = []  # a probe runs every few seconds: it checks the dependencies, nothing else

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", choices=sorted(ROLES), help="The role to check (default: PROCESS_ROLE).")

    def handle(self, *args: Any, **options: Any) -> None:
        report = readiness(options["role"] or settings.PROCESS_ROLE)
        self.stdout.write(json.dumps(report))
        if report["status"] != OK:
            failing = ", ".join(name for name, result in report["checks"].items() if result != OK)
            raise CommandError(f"not ready: {failing}")
