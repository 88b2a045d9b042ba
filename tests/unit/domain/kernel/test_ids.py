from uuid import UUID

from domain.kernel.ids import RandomIdFactory, SequentialIdFactory


def test_random_ids_are_version_4_and_distinct():
    factory = RandomIdFactory()

    ids = [factory.new() for _ in range(50)]

    assert all(value.version == 4 for value in ids)
    assert len(set(ids)) == 50


def test_sequential_ids_count_up_from_one():
    factory = SequentialIdFactory()

    assert [factory.new() for _ in range(3)] == [UUID(int=1), UUID(int=2), UUID(int=3)]
    assert str(UUID(int=1)) == "00000000-0000-0000-0000-000000000001"


def test_sequential_ids_can_start_anywhere():
    assert SequentialIdFactory(start=10).new() == UUID(int=10)
