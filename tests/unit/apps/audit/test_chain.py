"""The audit chain's pure parts: redaction, canonical hashing and finding the first broken link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from apps.audit import chain
from apps.audit.models import AuditEntry

USER = UUID("3f14c592-a988-4bb5-943f-007b17bd16df")


@dataclass(frozen=True)
class Line:
    sku: str
    unit_price: Decimal


@dataclass(frozen=True)
class Signup:
    email: str
    password: str
    display_name: str
    lines: tuple[Line, ...]
    owner: UUID


def entry(seq: int, prev_hash: str, **overrides: object) -> dict[str, object]:
    """The sealed entry at position ``seq``; its id is not its position (ids come from a sequence, in insert order)."""
    fields: dict[str, object] = {
        "id": 10 * seq + 7,
        "seq": seq,
        "occurred_at": datetime(2026, 11, 29, 10, 0, seq, 123456, tzinfo=UTC),
        "actor_id": USER,
        "actor": f"user:{USER}",
        "action": "CancelOrder",
        "target_type": "Order",
        "target_id": "8d1f3c0e-5b7a-4a51-9c1e-2f8f0a6b9d11",
        "outcome": "ok",
        "correlation_id": "abc",
        "ip": "203.0.113.7",
        "user_agent": "curl/8",
        "changes": {"reason": "ordered twice"},
        "prev_hash": prev_hash,
        **overrides,
    }
    fields["hash"] = chain.entry_hash(fields)
    return fields


def linked(count: int) -> list[dict[str, object]]:
    entries, previous = [], chain.GENESIS_HASH
    for seq in range(1, count + 1):
        entries.append(entry(seq, previous))
        previous = str(entries[-1]["hash"])
    return entries


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "new_password",
        "api_token",
        "client_secret",
        "refresh",
        "access",
        "api_key",
        "authorization",
        "signature",
        "customer_email",
        "EMAIL",
        "display_name",
        "reason",
    ],
)
def test_a_field_naming_a_secret_or_personal_data_is_redacted(name):
    assert chain.redacted({name: "hunter2", "sku": "x"}) == {name: chain.REDACTED, "sku": "x"}


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://erp.example.com/hooks?token=abc#x", "https://erp.example.com/hooks"),
        ("https://user:pass@erp.example.com:8443/in", "https://erp.example.com:8443/in"),
        ("http://[::1]:9000/h?k=v", "http://[::1]:9000/h"),
        ("not a url", chain.REDACTED),
        ("https://host:99999/", chain.REDACTED),
    ],
)
def test_a_url_keeps_neither_credentials_nor_its_query(url, kept):
    assert chain.redacted({"url": url, "callback_url": url}) == {"url": kept, "callback_url": kept}


def test_redaction_reaches_nested_dataclasses_and_turns_values_into_plain_json():
    command = Signup(
        email="ada@example.com",
        password="analytical-engine-1843",
        display_name="Ada",
        lines=(Line("SKU-1", Decimal("12.30")),),
        owner=USER,
    )

    assert chain.redacted(command) == {
        "email": chain.REDACTED,
        "password": chain.REDACTED,
        "display_name": chain.REDACTED,
        "lines": [{"sku": "SKU-1", "unit_price": "12.30"}],
        "owner": str(USER),
    }


def test_the_hash_is_the_same_for_the_same_moment_in_any_time_zone_and_key_order():
    utc = entry(1, chain.GENESIS_HASH)
    elsewhere = {
        **utc,
        "occurred_at": datetime(2026, 11, 29, 11, 0, 1, 123456, tzinfo=timezone(timedelta(hours=1))),
        "changes": dict(reversed(list({"b": 1, "reason": "ordered twice"}.items()))),
    }
    same_changes = {**utc, "changes": {"reason": "ordered twice", "b": 1}}

    assert chain.entry_hash(elsewhere) == chain.entry_hash(same_changes)
    assert len(chain.entry_hash(utc)) == 64


#: A changed value for every column of an audit entry but the hash itself. Named here, not read from
#: chain.HASHED_FIELDS, so a field dropped from the hash fails its own case below.
TAMPERED = {
    "id": 99,
    "occurred_at": datetime(2026, 11, 29, 10, 0, 2, 123457, tzinfo=UTC),
    "actor_id": UUID("00000000-0000-4000-8000-000000000001"),
    "actor": "user:someone-else",
    "action": "ShipOrder",
    "target_type": "Invoice",
    "target_id": "8d1f3c0e-5b7a-4a51-9c1e-2f8f0a6b9d12",
    "outcome": "refused: X",
    "correlation_id": "abd",
    "ip": "203.0.113.8",
    "user_agent": "curl/9",
    "changes": {"reason": "ordered twice", "amount": "0.01"},
    "prev_hash": "1" * 64,
}


def test_every_column_of_an_entry_but_its_hash_and_position_is_hashed_and_has_a_tampering_case():
    columns = {field.attname for field in AuditEntry._meta.concrete_fields} - {"hash", "seq"}

    assert set(chain.HASHED_FIELDS) == columns
    assert set(TAMPERED) == columns


@pytest.mark.parametrize(("field", "value"), TAMPERED.items(), ids=list(TAMPERED))
def test_changing_one_hashed_field_alone_changes_the_hash_and_breaks_the_chain_at_that_entry(field, value):
    entries = linked(3)
    original = entries[1]
    tampered = {**original, field: value}
    entries[1] = tampered

    assert chain.entry_hash(tampered) != original["hash"]
    broken = chain.first_broken_link(entries, first_seq=1)
    assert broken is not None
    assert broken.entry_id == tampered["id"]


def test_an_untouched_chain_has_no_broken_link():
    assert chain.first_broken_link(linked(5), first_seq=1) is None
    assert chain.first_broken_link([], first_seq=1) is None


def test_an_entry_edited_after_it_was_written_is_named():
    entries = linked(5)
    entries[2] = {**entries[2], "outcome": "ok, honestly"}

    broken = chain.first_broken_link(entries, first_seq=1)

    assert broken is not None
    assert broken.entry_id == 37
    assert "does not match its fields" in str(broken)


def test_an_entry_rehashed_after_an_edit_breaks_the_next_link():
    entries = linked(5)
    forged = {**entries[1], "actor": "anonymous"}
    forged["hash"] = chain.entry_hash(forged)
    entries[1] = forged

    broken = chain.first_broken_link(entries, first_seq=1)

    assert broken is not None
    assert broken.entry_id == 37
    assert "prev_hash" in broken.reason


def test_a_removed_entry_is_a_gap_in_the_positions():
    entries = linked(5)
    del entries[3]

    broken = chain.first_broken_link(entries, first_seq=1)

    assert broken is not None
    assert (broken.entry_id, broken.reason) == (57, "positions jump from 3 to 5: entries are missing")


def test_after_a_purge_the_chain_starts_from_its_anchor():
    entries = linked(6)
    kept = entries[3:]
    anchor = str(entries[2]["hash"])

    assert chain.first_broken_link(kept, anchor_hash=anchor, first_seq=4) is None
    assert chain.first_broken_link(kept, first_seq=4) is not None


def test_an_entry_moved_to_another_position_breaks_the_chain_though_its_position_is_not_hashed():
    entries = linked(5)
    entries[1], entries[2] = {**entries[2], "seq": 2}, {**entries[1], "seq": 3}  # two entries swap places

    broken = chain.first_broken_link(entries, first_seq=1)

    assert broken is not None
    assert broken.entry_id == entries[1]["id"] == 37
    assert "prev_hash" in broken.reason
