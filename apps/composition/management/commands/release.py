"""The release step: what must run once per release, before the new code serves or consumes anything.

In order: the database migrations, the event topology (exchange, queues, bindings, dead letters) and
the roles' groups. Each step is safe to run again, so a release Job that is retried, or run again
after another, changes nothing the second time; two at once are not safe (Django's ``migrate`` takes no
lock), and deployments to one environment are serialized. Kubernetes runs it as the
``orderflow-release`` Job, compose as the ``release`` one-shot service the others wait for
(docs/ops/deployment.md).
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser

from apps.platform.commands import OrderflowCommand

STEPS = (
    ("migrate", "database migrations", {"interactive": False}),
    ("declare_event_topology", "event topology", {}),
    ("sync_roles", "role groups", {}),
)


class Command(OrderflowCommand):
    help = "Run the release step: migrate, declare the event topology, sync the role groups (each safe to repeat)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--skip-topology",
            action="store_true",
            help="Leave the broker alone (a release whose events and consumers did not change).",
        )

    def handle(self, *args: Any, skip_topology: bool, **options: Any) -> None:
        verbosity = options["verbosity"]
        steps = [step for step in STEPS if not (skip_topology and step[0] == "declare_event_topology")]
        for number, (command, what, arguments) in enumerate(steps, start=1):
            if verbosity:
                self.stdout.write(f"release {number}/{len(steps)}: {what} ({command})")
            try:
                call_command(command, verbosity=verbosity, stdout=self.stdout, stderr=self.stderr, **arguments)
            except CommandError as exc:
                raise CommandError(f"release stopped at {command}: {exc}") from None
        if verbosity:
            self.stdout.write("release: done")
