"""The Django unit of work on PostgreSQL: one transaction for rows and outbox, or nothing."""

import threading
import uuid

import pytest
import structlog

from apps.composition.buses import unit_of_work
from apps.outbox.models import OutboxEntry
from apps.platform.buses import command_bus
from apps.platform.unit_of_work import UnitOfWorkMiddleware, current_unit_of_work, in_unit_of_work
from apps.users.models import User as UserRow
from apps.users.passwords import DjangoArgon2PasswordHasher, DjangoPasswordPolicy
from domain.kernel.bus import CommandBus
from domain.kernel.errors import BusinessRuleViolationError, ConflictError
from domain.kernel.ids import RandomIdFactory
from domain.kernel.ports import SystemClock
from domain.kernel.result import Err, Ok
from domain.users.commands import RegisterUser, UpdateProfile
from domain.users.errors import EmailAlreadyRegisteredError
from domain.users.handlers import register_user
from domain.users.model import Email, PasswordHash, User, UserProfile
from tests.integration.threads import in_thread
from tests.support.accounts import register
from tests.support.constants import PASSWORD


def bus_with(handler) -> CommandBus:
    bus = CommandBus()
    bus.add_middleware(UnitOfWorkMiddleware(unit_of_work))
    bus.register(RegisterUser, handler)
    return bus


@pytest.mark.django_db
def test_commit_writes_the_user_and_its_event_in_the_same_transaction():
    with structlog.contextvars.bound_contextvars(correlation_id="req-42"):
        user = register("Ann@Example.com", "Ann")

    row = UserRow.objects.get(pk=user.id)
    assert (row.email, row.display_name, row.version) == ("ann@example.com", "Ann", 1)
    entry = OutboxEntry.objects.get(aggregate_id=user.id)
    assert entry.event_type == "users.user_registered"
    assert entry.aggregate_type == "users.user"
    assert entry.aggregate_version == 1
    assert entry.status == OutboxEntry.Status.PENDING
    assert entry.correlation_id == "req-42"
    assert entry.payload == {"user_id": str(user.id), "email": "ann@example.com", "display_name": "Ann"}


@pytest.mark.django_db
def test_a_command_answered_with_err_leaves_no_row_and_no_outbox_entry():
    new_id = uuid.uuid4()

    def add_then_refuse(cmd):
        uow = current_unit_of_work()
        user = User.register(
            id=new_id,
            email=Email(cmd.email),
            password_hash=DjangoArgon2PasswordHasher().hash(cmd.password),
            profile=UserProfile(cmd.display_name),
            now=SystemClock().now(),
        )
        uow.users.add(user)
        return Err(BusinessRuleViolationError("changed my mind"))

    result = bus_with(add_then_refuse).dispatch(
        RegisterUser(email="bob@example.com", password=PASSWORD, display_name="Bob")
    )

    assert isinstance(result, Err)
    assert not UserRow.objects.filter(pk=new_id).exists()
    assert not OutboxEntry.objects.filter(aggregate_id=new_id).exists()


@pytest.mark.django_db
def test_an_exception_in_the_handler_rolls_everything_back():
    def add_then_crash(cmd):
        uow = current_unit_of_work()
        uow.users.add(
            User.register(
                id=uuid.uuid4(),
                email=Email(cmd.email),
                password_hash=PasswordHash("argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA"),
                profile=UserProfile("Carl"),
                now=SystemClock().now(),
            )
        )
        uow.commit()
        raise RuntimeError("crash after writing")

    with pytest.raises(RuntimeError):
        bus_with(add_then_crash).dispatch(RegisterUser(email="carl@example.com", password=PASSWORD, display_name="C"))

    assert not UserRow.objects.filter(email="carl@example.com").exists()
    assert not OutboxEntry.objects.filter(payload__email="carl@example.com").exists()


@pytest.mark.django_db
def test_a_nested_unit_of_work_rolls_back_to_its_savepoint_only():
    clock, hasher = SystemClock(), DjangoArgon2PasswordHasher()

    def new_user(email: str) -> User:
        return User.register(
            id=uuid.uuid4(),
            email=Email(email),
            password_hash=hasher.hash(PASSWORD),
            profile=UserProfile("N"),
            now=clock.now(),
        )

    outer_user, inner_user = new_user("outer@example.com"), new_user("inner@example.com")
    with unit_of_work() as outer:
        outer.users.add(outer_user)
        with unit_of_work() as inner:
            inner.users.add(inner_user)
            inner.commit()
            inner.rollback()
        outer.commit()

    assert UserRow.objects.filter(pk=outer_user.id).exists()
    assert not UserRow.objects.filter(pk=inner_user.id).exists()
    assert list(
        OutboxEntry.objects.filter(aggregate_id__in=[outer_user.id, inner_user.id]).values_list(
            "aggregate_id", flat=True
        )
    ) == [outer_user.id]


def stale_update_race(user_id, *, attempts: int):
    """Run UpdateProfile("Slow") that loads the user, lets UpdateProfile("Fast") commit, then saves."""
    loaded, other_committed = threading.Event(), threading.Event()
    calls, outcome = [], {}

    def slow_update(cmd):
        uow = current_unit_of_work()
        user = uow.users.get(cmd.user_id)
        calls.append(user.version)
        loaded.set()
        other_committed.wait(timeout=10)
        user.update_profile(UserProfile(cmd.display_name), now=SystemClock().now())
        return Ok(user)

    slow_bus = CommandBus()
    slow_bus.add_middleware(UnitOfWorkMiddleware(unit_of_work, attempts=attempts))
    slow_bus.register(UpdateProfile, slow_update)
    thread = in_thread(
        lambda: outcome.update(slow=slow_bus.dispatch(UpdateProfile(user_id=user_id, display_name="Slow")))
    )
    assert loaded.wait(timeout=10)
    assert isinstance(command_bus().dispatch(UpdateProfile(user_id=user_id, display_name="Fast")), Ok)
    other_committed.set()
    thread.join(timeout=10)
    return outcome["slow"], calls


@pytest.mark.django_db(transaction=True)
def test_a_stale_write_is_retried_on_fresh_state_so_no_update_is_lost():
    user = register("dora@example.com", "Dora")

    result, loaded_versions = stale_update_race(user.id, attempts=3)

    assert isinstance(result, Ok)
    assert loaded_versions == [1, 2]  # the retry loaded the state "Fast" had committed
    row = UserRow.objects.get(pk=user.id)
    assert (row.display_name, row.version) == ("Slow", 3)
    names = OutboxEntry.objects.filter(aggregate_id=user.id, event_type="users.user_profile_updated")
    assert [e.payload["display_name"] for e in names.order_by("aggregate_version")] == ["Fast", "Slow"]


@pytest.mark.django_db(transaction=True)
def test_a_stale_write_without_retries_left_is_a_conflict_and_the_newer_state_survives():
    user = register("dora@example.com", "Dora")

    result, _ = stale_update_race(user.id, attempts=1)

    assert isinstance(result, Err)
    assert isinstance(result.error, ConflictError)
    row = UserRow.objects.get(pk=user.id)
    assert (row.display_name, row.version) == ("Fast", 2)
    assert OutboxEntry.objects.filter(aggregate_id=user.id).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_registrations_of_one_email_make_one_account_and_one_409():
    both_checked = threading.Barrier(2, timeout=10)

    class WaitingHasher(DjangoArgon2PasswordHasher):
        # Called after the duplicate check: both registrations have seen "no such e-mail".
        def hash(self, raw):
            both_checked.wait()
            return super().hash(raw)

    bus = bus_with(
        in_unit_of_work(
            register_user,
            hasher=WaitingHasher(),
            policy=DjangoPasswordPolicy(),
            clock=SystemClock(),
            ids=RandomIdFactory(),
        )
    )
    results = []

    def attempt(email):
        results.append(bus.dispatch(RegisterUser(email=email, password=PASSWORD, display_name="Twin")))

    threads = [in_thread(attempt, email) for email in ("twin@example.com", "TWIN@example.com")]
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(type(r).__name__ for r in results) == ["Err", "Ok"]
    (failure,) = [r for r in results if isinstance(r, Err)]
    assert isinstance(failure.error, EmailAlreadyRegisteredError)
    assert UserRow.objects.filter(email="twin@example.com").count() == 1
    (winner,) = [r.value for r in results if isinstance(r, Ok)]
    assert list(
        OutboxEntry.objects.filter(payload__email="twin@example.com").values_list("aggregate_id", flat=True)
    ) == [winner.id]
