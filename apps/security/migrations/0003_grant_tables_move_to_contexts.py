"""The grant tables moved to the orders and billing apps, which own what they guard: state only, the tables stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0003_grant_tables'),
        ('billing', '0004_grant_tables'),
        ('security', '0002_owner_grants'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.AlterUniqueTogether(
                name='invoiceuserobjectpermission',
                unique_together=None,
            ),
            migrations.RemoveField(
                model_name='invoiceuserobjectpermission',
                name='content_object',
            ),
            migrations.RemoveField(
                model_name='invoiceuserobjectpermission',
                name='permission',
            ),
            migrations.RemoveField(
                model_name='invoiceuserobjectpermission',
                name='user',
            ),
            migrations.AlterUniqueTogether(
                name='ordergroupobjectpermission',
                unique_together=None,
            ),
            migrations.RemoveField(
                model_name='ordergroupobjectpermission',
                name='content_object',
            ),
            migrations.RemoveField(
                model_name='ordergroupobjectpermission',
                name='group',
            ),
            migrations.RemoveField(
                model_name='ordergroupobjectpermission',
                name='permission',
            ),
            migrations.AlterUniqueTogether(
                name='orderuserobjectpermission',
                unique_together=None,
            ),
            migrations.RemoveField(
                model_name='orderuserobjectpermission',
                name='content_object',
            ),
            migrations.RemoveField(
                model_name='orderuserobjectpermission',
                name='permission',
            ),
            migrations.RemoveField(
                model_name='orderuserobjectpermission',
                name='user',
            ),
            migrations.DeleteModel(
                name='InvoiceGroupObjectPermission',
            ),
            migrations.DeleteModel(
                name='InvoiceUserObjectPermission',
            ),
            migrations.DeleteModel(
                name='OrderGroupObjectPermission',
            ),
            migrations.DeleteModel(
                name='OrderUserObjectPermission',
            ),
            ],
            database_operations=[],
        ),
    ]
