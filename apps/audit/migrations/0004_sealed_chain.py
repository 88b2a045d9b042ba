"""Sealing: entries are written unsealed by their command and linked into the chain afterwards.

Each entry gains its position in the chain (``seq``); the entries written so far keep their hashes
and take their id as their position (their ids were consecutive), and the anchors' ``last_entry_id``
becomes ``last_seq``. Ids come from the table's own sequence from now on, set past every id used so
far. On PostgreSQL the append-only trigger now lets one kind of update through, the sealer's: one
that gives an unsealed entry its three chain columns and changes nothing else; a check constraint
admits sealed rows and rows waiting for the sealer, nothing in between. Beat runs the sealer
(``audit.seal``) every second.

Stop every process that writes audit entries (api, worker, consumers) before applying it, and start
them on the new release: a process of the old release links each entry to the newest one by id, which
an unsealed entry cannot be. It cannot be unapplied: the entries sealed after it have positions that
are not their ids, which the former chain cannot express.
"""

from django.db import migrations, models

from apps.platform.beat_schedule import schedule_periodic_tasks

SCHEDULE = (
    # (name, task, every, period, expire_seconds)
    ("audit: seal new entries", "audit.seal", 1, "seconds", 5),
)

TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('orderflow.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    -- The sealer's one update: an unsealed entry gets its position and hashes, and nothing else changes.
    IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND NEW.hash IS NOT NULL AND NEW.seq IS NOT NULL
        AND to_jsonb(NEW) - '{seq,prev_hash,hash}'::text[] = to_jsonb(OLD) - '{seq,prev_hash,hash}'::text[] THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only: % of entry % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def seal_in_place(apps, schema_editor):
    """Entries written before sealing existed are sealed already: their position is their id."""
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
    schema_editor.execute("UPDATE audit_auditentry SET seq = id")
    if postgresql:
        schema_editor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")
        schema_editor.execute(TRIGGER_FUNCTION, params=None)


def ids_past_every_one_used(apps, schema_editor):
    """New ids come after every id given so far, purged ones included (run last: on SQLite, each table
    rebuild above restarts AUTOINCREMENT from the rows it copied)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "SELECT setval(pg_get_serial_sequence('audit_auditentry', 'id'), "
            "GREATEST((SELECT MAX(id) FROM audit_auditentry), (SELECT MAX(last_seq) FROM audit_auditanchor), 0) + 1, "
            "false)"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'audit_auditentry', 0 "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'audit_auditentry')"
        )
        schema_editor.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX(last_seq), 0) FROM audit_auditanchor), "
            "(SELECT COALESCE(MAX(id), 0) FROM audit_auditentry)) WHERE name = 'audit_auditentry'"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_periodic_tasks'),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='auditanchor',
            options={'get_latest_by': 'last_seq', 'ordering': ['last_seq']},
        ),
        migrations.RenameField(
            model_name='auditanchor',
            old_name='last_entry_id',
            new_name='last_seq',
        ),
        migrations.AddField(
            model_name='auditentry',
            name='seq',
            field=models.BigIntegerField(blank=True, help_text='Position in the chain; set by the sealer', null=True, unique=True),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='hash',
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='prev_hash',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(condition=models.Q(('hash__isnull', True)), fields=['id'], name='audit_unsealed_idx'),
        ),
        migrations.RunPython(seal_in_place, elidable=False),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.CheckConstraint(
                condition=models.Q(("hash__isnull", True), ("prev_hash", ""), ("seq__isnull", True))
                | models.Q(("hash__isnull", False), ("seq__isnull", False)),
                name="audit_sealed_or_not",
            ),
        ),
        migrations.RunPython(ids_past_every_one_used, elidable=False),
        schedule_periodic_tasks(SCHEDULE),
    ]
