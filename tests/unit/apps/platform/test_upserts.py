"""``upsert`` on SQLite (``bulk_create(update_conflicts=True)``); the PostgreSQL statement: tests/integration."""

import pytest

from apps.orders.models import OrderReadModel
from apps.platform.upserts import upsert
from tests.support.upserts import (
    check_new_rows_are_inserted_and_existing_ones_get_only_the_named_fields,
    check_nothing_to_write_is_no_statement,
    order_row,
)


@pytest.mark.django_db
def test_new_rows_are_inserted_and_existing_ones_get_only_the_named_fields():
    check_new_rows_are_inserted_and_existing_ones_get_only_the_named_fields()


@pytest.mark.django_db
def test_nothing_to_write_is_no_statement(django_assert_num_queries):
    check_nothing_to_write_is_no_statement(django_assert_num_queries)


@pytest.mark.django_db
def test_many_rows_are_one_statement(django_assert_num_queries):
    with django_assert_num_queries(1):
        upsert(OrderReadModel, [order_row() for _ in range(50)], ["status"])
    assert OrderReadModel.objects.count() == 50
