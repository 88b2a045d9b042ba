"""In-memory adapters for the domain's ports: handlers run on these in unit and property tests.

One repository and one unit of work serve every context; a context's repository subclasses
``InMemoryRepository`` only where its port adds a query (``get_by_email``, ``get_by_order``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from domain.billing.errors import PaymentProviderError
from domain.billing.model import Invoice
from domain.billing.ports import InvoiceRepository
from domain.kernel.events import DomainEvent
from domain.kernel.money import Money
from domain.kernel.ports import AggregateT, Repository, UnitOfWork
from domain.orders.model import Order
from domain.orders.ports import OrderRepository
from domain.users.model import Email, PasswordHash, User
from domain.users.ports import UserRepository


class InMemoryRepository(Repository[AggregateT]):
    """Rows live in ``rows``; new and changed aggregates reach them only when the unit of work commits."""

    def __init__(self, aggregates: Iterable[AggregateT] = ()) -> None:
        super().__init__()
        self.rows: dict[UUID, AggregateT] = {aggregate.id: aggregate for aggregate in aggregates}

    def _add(self, aggregate: AggregateT) -> None:
        """Saved on commit, like the Django repository."""

    def _get(self, id: UUID) -> AggregateT | None:
        return self.rows.get(id)

    def flush(self) -> None:
        self.rows.update(self.seen)

    def forget_seen(self) -> None:
        self.seen.clear()


class FakeUserRepository(InMemoryRepository[User], UserRepository):
    def get_by_email(self, email: Email) -> User | None:
        user = next((user for user in self.rows.values() if user.email == email), None)
        if user is not None:
            self.seen.setdefault(user.id, user)
        return user


class FakeOrderRepository(InMemoryRepository[Order], OrderRepository):
    """The orders port adds nothing; the subclass only makes the fake an ``OrderRepository``."""


class FakeInvoiceRepository(InMemoryRepository[Invoice], InvoiceRepository):
    def get_by_order(self, order_id: UUID) -> Invoice | None:
        invoice = next((i for i in [*self.seen.values(), *self.rows.values()] if i.order_id == order_id), None)
        if invoice is not None:
            self.seen.setdefault(invoice.id, invoice)
        return invoice


class FakeUnitOfWork(UnitOfWork):
    """``FakeUnitOfWork(users=...)``: each keyword becomes an attribute, as the context's port names it.

    ``commit`` flushes every repository and keeps the events it collected in ``published``.
    """

    def __init__(self, **repositories: InMemoryRepository[Any]) -> None:
        self._repositories = repositories
        for name, repository in repositories.items():
            setattr(self, name, repository)
        self.committed = False
        self.published: list[DomainEvent] = []

    def repositories(self) -> tuple[Repository[Any], ...]:
        return tuple(self._repositories.values())

    def commit(self) -> None:
        for repository in self._repositories.values():
            repository.flush()
        self.published.extend(self.collect_events())
        for repository in self._repositories.values():
            repository.forget_seen()
        self.committed = True

    def rollback(self) -> None:
        """Forget what was not committed; after a commit there is nothing left to undo."""
        for repository in self._repositories.values():
            repository.forget_seen()


def users_uow(users: Iterable[User] = ()) -> FakeUnitOfWork:
    """A users unit of work (``uow.users``) holding ``users``."""
    return FakeUnitOfWork(users=FakeUserRepository(users))


def orders_uow(orders: Iterable[Order] = ()) -> FakeUnitOfWork:
    """An orders unit of work (``uow.orders``) holding ``orders``."""
    return FakeUnitOfWork(orders=FakeOrderRepository(orders))


def billing_uow(invoices: Iterable[Invoice] = ()) -> FakeUnitOfWork:
    """A billing unit of work (``uow.invoices``) holding ``invoices``."""
    return FakeUnitOfWork(invoices=FakeInvoiceRepository(invoices))


class FakePasswordHasher:
    """Deterministic and instant; the real argon2id adapter has its own tests."""

    def hash(self, raw: str) -> PasswordHash:
        return PasswordHash(value="fake$" + hashlib.sha256(raw.encode()).hexdigest())

    def verify(self, raw: str, hashed: PasswordHash) -> bool:
        return hashed == self.hash(raw)


class FakePasswordPolicy:
    """Accepts passwords of 10 or more characters, like the production minimum length."""

    def problems(self, raw: str, *, email: str, display_name: str) -> list[str]:
        return [] if len(raw) >= 10 else ["This password is too short. It must contain at least 10 characters."]


class FakeRoleCatalogue:
    """The roles that can be granted, as given; the real one reads the synced groups."""

    def __init__(self, roles: Iterable[str] = ("customer", "support", "billing_admin", "auditor", "admin")) -> None:
        self.roles = frozenset(roles)

    def assignable(self) -> frozenset[str]:
        return self.roles


class FakePaymentProvider:
    """Records every refund asked for; answers one refund per idempotency key, like a real provider.

    ``fail_with`` makes every call raise ``PaymentProviderError`` with that message.
    """

    def __init__(self, *, fail_with: str | None = None) -> None:
        self.fail_with = fail_with
        self.calls: list[dict[str, Any]] = []
        self.refunds: dict[str, str] = {}

    def refund(self, *, provider_payment_id: str, amount: Money, idempotency_key: str) -> str:
        self.calls.append(
            {"provider_payment_id": provider_payment_id, "amount": amount, "idempotency_key": idempotency_key}
        )
        if self.fail_with is not None:
            raise PaymentProviderError(self.fail_with)
        return self.refunds.setdefault(idempotency_key, f"re_fake_{len(self.refunds) + 1}")
