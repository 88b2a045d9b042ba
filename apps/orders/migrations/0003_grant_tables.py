"""The order grant tables become the orders app's (they were the security app's): state only, the tables stay."""

from django.conf import settings
from django.db import migrations

from apps.security.grant_tables import grant_table_state


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0002_owner_grants"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("orders", "0002_role_permissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=grant_table_state("Order", "orders.order", table_prefix="order", noun="order"),
            database_operations=[],
        ),
    ]
