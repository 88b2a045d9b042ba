"""Property 15: every command dispatched on the bus leaves exactly one audit entry, retrievable by query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from apps.audit import chain, recorder, sealer
from apps.audit.models import AuditEntry
from apps.audit.queries import ListAuditEntries, list_audit_entries
from apps.composition.buses import unit_of_work
from apps.platform.unit_of_work import UnitOfWorkMiddleware
from apps.security import actors
from domain.kernel.bus import CommandBus
from domain.kernel.errors import BusinessRuleViolationError, EntityNotFoundError
from domain.kernel.messages import Command
from domain.kernel.result import Err, Ok, Result
from tests.properties.delivery import rolled_back


@dataclass(frozen=True)
class OpenAccount(Command):
    user_id: UUID
    email: str
    password: str


@dataclass(frozen=True)
class RenameThing(Command):
    order_id: UUID
    name: str
    api_token: str


@dataclass(frozen=True)
class Thing:
    id: UUID


OUTCOMES = {
    "ok": lambda message: Ok(Thing(id=getattr(message, "user_id", None) or message.order_id)),
    "refused: EntityNotFoundError": lambda message: Err(EntityNotFoundError("no such thing")),
    "refused: BusinessRuleViolationError": lambda message: Err(BusinessRuleViolationError("not now")),
}

# A secret carries a "~", which no other generated value does: finding one in the entry means it leaked.
secrets = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=12, max_size=24).map(lambda s: f"~{s}")
commands = st.one_of(
    st.builds(OpenAccount, user_id=st.uuids(), email=secrets.map(lambda s: f"{s}@example.com"), password=secrets),
    st.builds(
        RenameThing,
        order_id=st.uuids(),
        name=st.text(st.characters(exclude_characters="~"), max_size=30),
        api_token=secrets,
    ),
)
actor_choices = st.one_of(
    st.uuids().map(actors.Actor.for_user_id), st.sampled_from([actors.CELERY, actors.Actor("system:command seed_db")])
)
dispatches = st.lists(
    st.tuples(commands, st.sampled_from(sorted(OUTCOMES)), actor_choices, st.uuids().map(lambda u: u.hex)),
    min_size=1,
    max_size=6,
)


def audited_bus(planned: list[str]) -> CommandBus:
    """A bus as the composition root builds it, whose handler answers each dispatch as ``planned``."""
    bus = CommandBus()
    bus.add_middleware(UnitOfWorkMiddleware(unit_of_work, audit=recorder.record_command))
    answers = iter(planned)

    def handler(message: Any) -> Result[Any, Exception]:
        return OUTCOMES[next(answers)](message)

    bus.register(OpenAccount, handler)
    bus.register(RenameThing, handler)
    return bus


# **Feature: architecture-restructuring-2025, Property 15: Audit Log Entry Persistence**
# **Validates: Requirements 9.5**
@pytest.mark.django_db
@given(dispatches)
def test_every_dispatched_command_leaves_exactly_one_retrievable_entry_and_the_chain_holds(
    cases: list[tuple[Command, str, actors.Actor, str]],
) -> None:
    """For any sequence of commands, each accepted or refused, dispatched by any actor under any
    correlation id, the bus leaves exactly one audit entry per dispatch, in dispatch order, naming the
    command, its actor, its outcome, its target, its correlation id and a timestamp; each is found by
    querying the audit log for its actor and action; no secret or e-mail value is stored; and the hash
    chain verifies from start to end."""
    with rolled_back():
        start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        bus = audited_bus([outcome for _, outcome, _, _ in cases])
        for message, _, actor, correlation_id in cases:
            with actors.acting_as(actor), structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
                bus.dispatch(message)

        entries = list(AuditEntry.objects.filter(id__gt=start).order_by("id"))
        assert len(entries) == len(cases)
        for entry, (message, outcome, actor, correlation_id) in zip(entries, cases, strict=True):
            assert entry.action == type(message).__name__
            assert (entry.actor, entry.actor_id) == (actor.label, actor.id)
            assert entry.outcome == outcome
            assert entry.correlation_id == correlation_id
            assert entry.occurred_at is not None
            expected_target = getattr(message, "user_id", None) or message.order_id  # type: ignore[attr-defined]
            assert entry.target_id == str(expected_target)
            assert entry in list_audit_entries(ListAuditEntries(actor=actor.label, action=entry.action)).value
            stored = str(entry.changes)
            for secret in ("email", "password", "api_token"):
                if hasattr(message, secret):
                    assert getattr(message, secret) not in stored
                    assert "~" not in stored
                    assert entry.changes[secret] == chain.REDACTED

        sealer.seal_pending()
        assert not AuditEntry.objects.filter(hash__isnull=True).exists()
        first_seq, anchor = sealer.start_of_chain()
        every = AuditEntry.objects.order_by("seq").values(*chain.HASHED_FIELDS, "seq", "hash")
        assert chain.first_broken_link(every, anchor_hash=anchor, first_seq=first_seq) is None
