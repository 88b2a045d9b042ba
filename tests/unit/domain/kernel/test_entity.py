from uuid import UUID

from domain.kernel.entity import Entity

ID = UUID(int=1)


class Customer(Entity[UUID]):
    __slots__ = ("name",)

    def __init__(self, *, id: UUID, name: str) -> None:
        super().__init__(id=id)
        self.name = name


class Supplier(Entity[UUID]):
    pass


def test_entities_with_the_same_id_are_equal_whatever_their_attributes():
    first, second = Customer(id=ID, name="Ann"), Customer(id=ID, name="Bob")

    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second}) == 1


def test_entities_with_different_ids_differ():
    assert Customer(id=ID, name="Ann") != Customer(id=UUID(int=2), name="Ann")


def test_entities_of_different_types_differ_even_with_the_same_id():
    assert Customer(id=ID, name="Ann") != Supplier(id=ID)
    assert Customer(id=ID, name="Ann") != ID


def test_repr_names_the_type_and_id():
    assert repr(Supplier(id=ID)) == f"Supplier(id={ID})"
