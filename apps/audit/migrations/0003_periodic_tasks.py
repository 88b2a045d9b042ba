"""Beat's schedule for the audit trail, in django-celery-beat's tables (editable in the admin)."""

from django.db import migrations

from apps.platform.beat_schedule import schedule_periodic_tasks

SCHEDULE = (
    # (name, task, every, period, expire_seconds)
    ("audit: purge entries past retention", "audit.purge_expired", 1, "days", 3600),
)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_trigger"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [schedule_periodic_tasks(SCHEDULE)]
