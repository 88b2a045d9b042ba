# A partial index of the dead outbox entries, so /metrics counts them cheaply on a big outbox.
#
# On PostgreSQL it is built CONCURRENTLY (so outside a transaction): building it reads the whole table, and a
# plain CREATE INDEX would hold off every write to the outbox, that is every command, meanwhile.

from django.db import migrations, models


class AddIndexConcurrentlyOnPostgreSQL(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)
        return None

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)
        return None


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('outbox', '0003_drop_redundant_aggregate_index'),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name='outboxentry',
            index=models.Index(condition=models.Q(('status', 'dead')), fields=['created_at'], name='outbox_dead_idx'),
        ),
    ]
