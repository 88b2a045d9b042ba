"""Beat's schedule for the core app, in django-celery-beat's tables (editable in the admin)."""

from django.db import migrations

from apps.platform.beat_schedule import schedule_periodic_tasks

SCHEDULE = (
    # (name, task, every, period, expire_seconds)
    ("core: purge expired idempotency keys", "core.purge_idempotency_keys", 1, "days", 3600),
)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [schedule_periodic_tasks(SCHEDULE)]
