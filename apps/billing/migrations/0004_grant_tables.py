"""The invoice grant tables become the billing app's (they were the security app's): state only, the tables stay."""

from django.db import migrations

from apps.security.grant_tables import grant_tables_taken_over


class Migration(migrations.Migration):
    # The security app's migrations made the tables, after auth and the user model.
    dependencies = [("security", "0002_owner_grants"), ("billing", "0003_role_permissions")]
    operations = [grant_tables_taken_over("Invoice", "billing.invoice", table_prefix="invoice", noun="invoice")]
