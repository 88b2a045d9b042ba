"""Create an RSA key pair for signing JWTs in development."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from apps.platform.commands import OrderflowCommand
from apps.security.keys import generate_private_key_pem


class Command(OrderflowCommand):
    help = "Write a new RSA private key for signing JWTs (development only; never commit it)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path",
            default=str(settings.JWT_PRIVATE_KEY_FILE),
            help="Where to write the key (default: the JWT_PRIVATE_KEY_FILE setting, var/keys/jwt-private.pem).",
        )
        parser.add_argument("--if-missing", action="store_true", help="Do nothing when the file exists.")
        parser.add_argument("--force", action="store_true", help="Replace an existing key.")

    def handle(self, *args: Any, path: str, if_missing: bool, force: bool, **options: Any) -> None:
        target = Path(path)
        if target.exists():
            if if_missing:
                self.stdout.write(f"JWT key already present at {target}")
                return
            if not force:
                raise CommandError(f"{target} already exists; pass --force to replace it.")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(generate_private_key_pem())
        except OSError as exc:
            raise CommandError(f"cannot write {target}: {exc.strerror}") from None
        self.stdout.write(self.style.SUCCESS(f"Wrote a new RSA signing key to {target}"))
