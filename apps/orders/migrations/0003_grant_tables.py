"""The order grant tables become the orders app's (they were the security app's): state only, the tables stay."""

from django.db import migrations

from apps.security.grant_tables import grant_tables_taken_over


class Migration(migrations.Migration):
    # The security app's migrations made the tables, after auth and the user model.
    dependencies = [("security", "0002_owner_grants"), ("orders", "0002_role_permissions")]
    operations = [grant_tables_taken_over("Order", "orders.order", table_prefix="order", noun="order")]
