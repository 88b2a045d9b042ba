"""What an entry says about a command: its outcome, its target and the actor of a process."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from apps.audit import recorder
from apps.security import actors
from domain.kernel.errors import ConflictError
from domain.kernel.result import Err, Ok
from domain.users.errors import InvalidCredentialsError

ORDER = UUID("8d1f3c0e-5b7a-4a51-9c1e-2f8f0a6b9d11")
INVOICE = UUID("5e0c2a47-d9b3-41e6-a8c4-d2b0f9e7a5c3")


@dataclass(frozen=True)
class MarkPaid:
    order_id: UUID
    invoice_id: UUID


@dataclass(frozen=True)
class Invoice:
    id: UUID


def test_the_outcome_names_the_error_class_of_a_refusal():
    assert recorder.outcome_of(Ok(None)) == "ok"
    assert recorder.outcome_of(Err(InvalidCredentialsError("no"))) == "refused: InvalidCredentialsError"
    assert recorder.outcome_of(ConflictError("lost")) == "refused: ConflictError"


def test_the_target_is_the_ok_value_when_it_has_an_id_else_the_commands_first_id_field():
    command = MarkPaid(order_id=ORDER, invoice_id=INVOICE)

    assert recorder.target_of(command, Ok(Invoice(INVOICE))) == ("Invoice", str(INVOICE))
    assert recorder.target_of(command, Err(ValueError())) == ("Order", str(ORDER))
    assert recorder.target_of(object(), Ok(None)) == ("", "")


def test_a_management_command_acts_as_itself_and_anything_else_as_the_system():
    assert actors.process_actor(["manage.py", "purge_audit_log", "--older-than-days", "90"]).label == (
        "system:command purge_audit_log"
    )
    assert actors.process_actor(["/usr/bin/celery", "worker"]).label == "system"
    assert actors.process_actor([]).label == "system"


def test_an_explicit_actor_wins_for_the_block_only():
    before = actors.current()
    with actors.acting_as(actors.CELERY):
        assert actors.current() == actors.CELERY
    assert actors.current() == before
