"""Where an event goes: its routing key carries a slot, a hash of the stream it belongs to, so consumers can shard.

Every message is published with the routing key ``<event type>.<slot>``: the
slot (0 to ``SLOTS`` - 1) is a CRC-32 of its **partition key**, which is the
aggregate id, or, for an aggregate a context declares as part of another
aggregate's stream (an invoice is part of its order's), that aggregate's id read
from the payload. All events of one aggregate therefore share a slot.

A consumer's queue may be split in ``EVENTS_CONSUMER_SHARDS`` shards: shard K
binds the slots whose number modulo the shard count is K. Each stream then lands
in exactly one shard queue, in the order it was published, and one runner per
shard keeps each aggregate's order. With one shard (the default) a consumer has
its one queue, ``orderflow.<name>``, bound to its keys and to the keys followed by
any slot, so it also takes messages routed by the event type alone.

The publisher never needs to know the shard count: changing it only re-binds
queues (``declare_event_topology``; docs/ops/scaling-strategy.md says how).
Plain topic bindings, no broker plugin.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

#: Slots a routing key may carry: the most shards a consumer can have.
SLOTS = 32

_grouped: dict[str, str] = {}


def install(grouped_with: Mapping[str, str]) -> None:
    """Which aggregate types partition with another aggregate: type -> the payload field holding its id."""
    _grouped.clear()
    _grouped.update(grouped_with)


def partition_key(envelope: Mapping[str, Any]) -> str:
    """The id of the stream whose order ``envelope`` must keep: its aggregate, or the one it is grouped with."""
    field = _grouped.get(str(envelope.get("aggregate_type", "")))
    if field is not None:
        payload = envelope.get("payload")
        if isinstance(payload, Mapping) and payload.get(field) is not None:
            return str(payload[field]).lower()
    return str(envelope["aggregate_id"]).lower()


def slot_of(envelope: Mapping[str, Any]) -> int:
    return zlib.crc32(partition_key(envelope).encode()) % SLOTS


def routing_key(envelope: Mapping[str, Any]) -> str:
    """``<event type>.<slot>``: what the events exchange routes on."""
    return f"{envelope['event_type']}.{slot_of(envelope)}"


def shard_of(envelope: Mapping[str, Any], shards: int) -> int:
    return slot_of(envelope) % shards


def check_shards(shards: int) -> None:
    if not 1 <= shards <= SLOTS:
        raise ValueError(f"a consumer has 1 to {SLOTS} shards, not {shards}")


def shard_binding_keys(binding_keys: tuple[str, ...], shard: int, shards: int) -> list[str]:
    """The keys shard ``shard`` of ``shards`` binds for a consumer bound to ``binding_keys``."""
    check_shards(shards)
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} does not exist: shards are numbered 0 to {shards - 1}")
    if shards == 1:
        # The key itself too: a message routed by its event type alone (an older publisher) still arrives.
        return [bound for key in binding_keys for bound in (key, f"{key}.*")]
    return [f"{key}.{slot}" for key in binding_keys for slot in range(shard, SLOTS, shards)]
