from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from domain.kernel.aggregate import AggregateRoot
from domain.kernel.events import DomainEvent

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
CART_ID = UUID(int=7)


@dataclass(frozen=True, kw_only=True)
class ItemAdded(DomainEvent):
    event_type = "shop.item_added"

    sku: str


class Cart(AggregateRoot[UUID]):
    aggregate_type = "shop.cart"

    def add(self, sku: str) -> ItemAdded:
        return self._record(ItemAdded(occurred_at=NOW, sku=sku))


def test_a_new_aggregate_starts_at_version_zero_without_events():
    cart = Cart(id=CART_ID)

    assert cart.version == 0
    assert cart.loaded_version == 0
    assert cart.pending_events == ()


def test_recording_stamps_the_event_with_type_id_and_next_version():
    cart = Cart(id=CART_ID, version=4)

    stamped = cart.add("apple")

    assert stamped.aggregate_type == "shop.cart"
    assert stamped.aggregate_id == CART_ID
    assert stamped.aggregate_version == 5
    assert stamped.sku == "apple"
    assert cart.version == 5
    assert cart.pending_events == (stamped,)


def test_recording_keeps_the_event_id_and_time():
    unstamped = ItemAdded(occurred_at=NOW, sku="pear")
    cart = Cart(id=CART_ID)

    stamped = cart._record(unstamped)

    assert stamped.event_id == unstamped.event_id
    assert stamped.occurred_at == NOW


def test_each_event_gets_the_next_version_in_order():
    cart = Cart(id=CART_ID, version=2)

    cart.add("a")
    cart.add("b")
    cart.add("c")

    assert [(e.sku, e.aggregate_version) for e in cart.pending_events] == [("a", 3), ("b", 4), ("c", 5)]


def test_loaded_version_is_the_version_before_the_pending_events():
    cart = Cart(id=CART_ID, version=10)

    cart.add("a")
    cart.add("b")

    assert cart.version == 12
    assert cart.loaded_version == 10


def test_pull_events_hands_over_the_events_once_and_moves_loaded_version_forward():
    cart = Cart(id=CART_ID)
    cart.add("a")
    cart.add("b")

    pulled = cart.pull_events()

    assert [e.sku for e in pulled] == ["a", "b"]
    assert cart.pending_events == ()
    assert cart.pull_events() == []
    assert cart.loaded_version == cart.version == 2


def test_pending_events_cannot_be_changed_from_outside():
    cart = Cart(id=CART_ID)
    cart.add("a")

    snapshot = cart.pending_events
    cart.add("b")

    assert len(snapshot) == 1
    assert len(cart.pending_events) == 2
