"""Let a support agent see one customer's orders and invoices, or take that back (``--revoke``).

The agent gets ``view_order`` on each of the customer's orders and
``view_invoice`` on each invoice (django-guardian object grants), nothing to
act with. The grant covers what the customer has when it is run; run it again
to include later orders. The agent must hold a role that reads granted orders
(``support`` or ``admin``), and the grants count only while they do; the change
is written to the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from apps.audit import recorder
from apps.billing import wiring as billing
from apps.orders import wiring as orders
from apps.platform.commands import OrderflowCommand, progress_bar
from apps.security.access import grant, revoke

BATCH = 500
ROLE_PERMISSIONS = ("orders.view_granted_orders", "billing.view_granted_invoices")
#: What each context lets a support agent see of a customer's objects, as its wiring declares.
SUPPORT_GRANTS = {**orders.SUPPORT_GRANTS, **billing.SUPPORT_GRANTS}


class Command(OrderflowCommand):
    help = "Grant a support agent read access to one customer's orders and invoices (--revoke takes it back)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agent", help="The support agent's e-mail.")
        parser.add_argument("--customer", required=True, help="The customer's e-mail.")
        parser.add_argument("--revoke", action="store_true", help="Take the access away instead of granting it.")

    def handle(self, *args: Any, **options: Any) -> None:
        agent, customer = self._user(options["agent"]), self._user(options["customer"])
        revoking = options["revoke"]
        if not revoking and not all(agent.has_perm(permission) for permission in ROLE_PERMISSIONS):
            raise CommandError(
                f"{agent.email} has no role that reads granted orders and invoices; add them to the support group first"
            )
        change = revoke if revoking else grant
        counts = {}
        quiet = options["verbosity"] < 1
        with transaction.atomic():
            for model, permissions in SUPPORT_GRANTS.items():
                ids = list(model.objects.filter(customer_id=customer.pk).values_list("id", flat=True))
                description = f"{model._meta.verbose_name_plural} of {customer.email}"
                with progress_bar(self.stdout, total=len(ids), description=description, unit="obj", quiet=quiet) as bar:
                    for start in range(0, len(ids), BATCH):
                        batch = ids[start : start + BATCH]
                        change(agent.pk, model, batch, permissions)
                        bar.update(len(batch))
                counts[model._meta.model_name] = len(ids)
            recorder.record(
                "access.revoked" if revoking else "access.granted",
                target_type="User",
                target_id=str(customer.pk),
                changes={"agent_id": str(agent.pk), "orders": counts["order"], "invoices": counts["invoice"]},
            )
        if not quiet:
            verb = "took back from" if revoking else "granted"
            what = f"{counts['order']} order(s) and {counts['invoice']} invoice(s) of {customer.email}"
            self.stdout.write(f"{verb} {agent.email}: {what}")

    def _user(self, email: str) -> Any:
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"no account with the e-mail {email}")
        return user
