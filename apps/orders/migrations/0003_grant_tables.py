"""The order grant tables become the orders app's (they were the security app's): state only, the tables stay."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('security', '0002_owner_grants'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('orders', '0002_role_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='OrderGroupObjectPermission',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('content_object', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='group_grants', to='orders.order')),
                    ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.group')),
                    ('permission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.permission')),
                ],
                options={
                    'verbose_name': 'order grant to a group',
                    'db_table': 'order_group_grants',
                    'abstract': False,
                    'unique_together': {('group', 'permission', 'content_object')},
                },
            ),
            migrations.CreateModel(
                name='OrderUserObjectPermission',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('content_object', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='user_grants', to='orders.order')),
                    ('permission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='auth.permission')),
                    ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'verbose_name': 'order grant to a user',
                    'db_table': 'order_user_grants',
                    'abstract': False,
                    'unique_together': {('user', 'permission', 'content_object')},
                },
            ),
            ],
            database_operations=[],
        ),
    ]
