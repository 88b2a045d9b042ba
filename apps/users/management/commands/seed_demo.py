"""Load the demo accounts once: a staff member and a customer, registered through the command bus."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from apps.platform.buses import command_bus
from apps.platform.commands import OrderflowCommand
from apps.users.models import User as UserRow
from domain.kernel.result import Err
from domain.users.commands import RegisterUser
from domain.users.errors import EmailAlreadyRegisteredError

DEMO_ACCOUNTS = (
    # (e-mail, password, display name, staff)
    ("staff@orderflow.test", "staff-demo-Passw0rd", "Demo Staff", True),
    ("customer@orderflow.test", "customer-demo-Passw0rd", "Demo Customer", False),
)


class Command(OrderflowCommand):
    help = "Create the demo staff and customer accounts if they do not exist, and print their credentials."

    def handle(self, *args: Any, **options: Any) -> None:
        for email, password, display_name, staff in DEMO_ACCOUNTS:
            result = command_bus().dispatch(RegisterUser(email=email, password=password, display_name=display_name))
            if isinstance(result, Err) and not isinstance(result.error, EmailAlreadyRegisteredError):
                raise CommandError(f"cannot create {email}: {result.error}")
            if staff:
                # Back-office access is Django auth's business, not the domain's.
                UserRow.objects.filter(email=email).update(is_staff=True, is_superuser=True)
            state = "created" if not isinstance(result, Err) else "already present"
            role = "staff" if staff else "customer"
            self.stdout.write(f"{role:<9} {email}  password: {password}  ({state})")
