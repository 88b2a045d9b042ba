"""The invoice grant tables become the billing app's (they were the security app's): state only, the tables stay."""

from django.conf import settings
from django.db import migrations

from apps.security.grant_tables import grant_table_state


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0002_owner_grants"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("billing", "0003_role_permissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=grant_table_state("Invoice", "billing.invoice", table_prefix="invoice", noun="invoice"),
            database_operations=[],
        ),
    ]
