"""The grant tables moved to the orders and billing apps, which own what they guard: state only, the tables stay."""

from django.db import migrations

MOVED = (
    "OrderUserObjectPermission",
    "OrderGroupObjectPermission",
    "InvoiceUserObjectPermission",
    "InvoiceGroupObjectPermission",
)


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0002_owner_grants"),
        ("orders", "0003_grant_tables"),
        ("billing", "0004_grant_tables"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
            database_operations=[],
        ),
    ]
