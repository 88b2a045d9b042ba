"""``upsert`` on PostgreSQL: one ``INSERT ... SELECT FROM json_populate_recordset ... ON CONFLICT DO UPDATE``."""

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
def test_a_batch_of_any_size_is_one_statement(django_assert_num_queries):
    with django_assert_num_queries(2) as captured:
        upsert(OrderReadModel, [order_row()], ["status"])
        upsert(OrderReadModel, [order_row() for _ in range(300)], ["status"])
    assert captured.captured_queries[0]["sql"].split(" ON CONFLICT")[0].startswith("INSERT INTO")
    assert OrderReadModel.objects.count() == 301


@pytest.mark.django_db
def test_a_field_that_is_no_column_is_refused():
    with pytest.raises(ValueError, match="no column for colour"):
        upsert(OrderReadModel, [order_row()], ["colour"])
