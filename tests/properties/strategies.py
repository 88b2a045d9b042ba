"""Hypothesis strategies for the users context, shared by the property tests."""

from __future__ import annotations

import base64
import string
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from domain.kernel.errors import InvalidValueError
from domain.users.events import (
    UserDeactivated,
    UserLoggedIn,
    UserProfileUpdated,
    UserRegistered,
    UserRolesAssigned,
    UserStaffAccessChanged,
)
from domain.users.model import Email, PasswordHash, User, UserProfile

_LOCAL_CHARS = string.ascii_lowercase + string.digits + "!#$%&'*+/=?^_`{|}~-"

local_parts = (
    st.lists(st.text(alphabet=_LOCAL_CHARS, min_size=1, max_size=20), min_size=1, max_size=4)
    .map(".".join)
    .filter(lambda local: len(local) <= 64)
)
domain_labels = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
top_level_domains = st.from_regex(r"[a-z]{2,12}", fullmatch=True)

emails = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join([*labels, tld])}",
    local_parts,
    st.lists(domain_labels, min_size=1, max_size=3),
    top_level_domains,
)
"""Valid e-mail addresses in their normalised (lower-case) form."""


def _mixed_case(text: str) -> st.SearchStrategy[str]:
    flips = st.lists(st.booleans(), min_size=len(text), max_size=len(text))
    return flips.map(lambda upper: "".join(c.upper() if u else c for c, u in zip(text, upper, strict=True)))


mixed_case_emails = emails.flatmap(_mixed_case)
"""Valid e-mail addresses in any letter case."""


def _is_valid_display_name(name: str) -> bool:
    try:
        UserProfile(name)
    except InvalidValueError:
        return False
    return True


display_names = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1, max_size=100
).filter(_is_valid_display_name)

aware_datetimes = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
"""UTC datetimes, as the clock and the database hand them out."""

# Whole seconds: Python 3.11's datetime.fromisoformat drops the microseconds of a UTC offset, and no
# real time zone has them (historical local mean times do have seconds).
fixed_offsets = st.integers(min_value=-86_399, max_value=86_399).map(lambda seconds: timedelta(seconds=seconds))
any_offset_datetimes = st.datetimes(timezones=st.builds(timezone, fixed_offsets))
"""Aware datetimes at any fixed UTC offset, including offsets with seconds."""

_b64 = st.binary(min_size=8, max_size=32).map(lambda raw: base64.b64encode(raw).decode().rstrip("="))

argon2_hashes = st.builds(
    lambda m, t, p, salt, digest: PasswordHash(value=f"argon2$argon2id$v=19$m={m},t={t},p={p}${salt}${digest}"),
    st.integers(8, 1 << 20),
    st.integers(1, 10),
    st.integers(1, 8),
    _b64,
    _b64,
)
"""Password hashes in the shape Django's argon2 hasher stores them."""


role_sets = st.frozensets(st.sampled_from(["customer", "support", "billing_admin", "auditor", "admin"]))
"""Sets of role names (the handlers check names against the catalogue; the aggregate holds any)."""


@st.composite
def users(draw: st.DrawFn) -> User:
    """A user in any state it can be loaded from storage in (no pending events)."""
    return User(
        id=draw(st.uuids()),
        email=Email(draw(emails)),
        password_hash=draw(argon2_hashes),
        profile=UserProfile(draw(display_names)),
        is_active=draw(st.booleans()),
        created_at=draw(aware_datetimes),
        updated_at=draw(st.none() | aware_datetimes),
        last_login_at=draw(st.none() | aware_datetimes),
        roles=draw(role_sets),
        is_staff=draw(st.booleans()),
        is_superuser=draw(st.booleans()),
        version=draw(st.integers(min_value=0, max_value=2**31 - 1)),
    )


@st.composite
def users_with_history(draw: st.DrawFn) -> User:
    """A freshly registered user that then went through a random sequence of changes (events pending)."""
    now = draw(aware_datetimes)
    user = User.register(
        id=draw(st.uuids()),
        email=Email(draw(emails)),
        password_hash=draw(argon2_hashes),
        profile=UserProfile(draw(display_names)),
        now=now,
    )
    actions = st.sampled_from(["profile", "login", "deactivate", "roles", "staff"])
    for action in draw(st.lists(actions, max_size=5)):
        now += draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)))
        if action == "profile":
            user.update_profile(UserProfile(draw(display_names)), now=now)
        elif action == "login":
            user.record_login(now=now)
        elif action == "roles":
            user.assign_roles(draw(role_sets), by=draw(st.uuids()), now=now)
        elif action == "staff":
            user.set_staff_access(
                is_staff=draw(st.booleans()), is_superuser=draw(st.booleans()), by=draw(st.uuids()), now=now
            )
        else:
            user.deactivate(reason=draw(display_names), by=draw(st.uuids()), now=now)
    return user


event_stamps = {
    "occurred_at": any_offset_datetimes,
    "event_id": st.uuids(),
    "aggregate_type": st.text(),
    "aggregate_id": st.none() | st.uuids(),
    "aggregate_version": st.integers(min_value=0),
}
"""The envelope fields every domain event carries, with any values."""

domain_events = st.one_of(
    st.builds(UserRegistered, user_id=st.uuids(), email=st.text(), display_name=st.text(), **event_stamps),
    st.builds(UserProfileUpdated, user_id=st.uuids(), display_name=st.text(), **event_stamps),
    st.builds(UserDeactivated, user_id=st.uuids(), reason=st.text(), deactivated_by=st.uuids(), **event_stamps),
    st.builds(UserLoggedIn, user_id=st.uuids(), **event_stamps),
    st.builds(
        UserRolesAssigned,
        user_id=st.uuids(),
        roles=st.lists(st.text()).map(tuple),
        granted=st.lists(st.text()).map(tuple),
        revoked=st.lists(st.text()).map(tuple),
        assigned_by=st.uuids(),
        **event_stamps,
    ),
    st.builds(
        UserStaffAccessChanged,
        user_id=st.uuids(),
        is_staff=st.booleans(),
        is_superuser=st.booleans(),
        changed_by=st.uuids(),
        **event_stamps,
    ),
)
"""Every event of the users context, with any field values (stamped or not)."""
