"""Beat's schedule for the outbox, in django-celery-beat's tables (editable in the admin)."""

from django.db import migrations

from apps.platform.beat_schedule import schedule_periodic_tasks

SCHEDULE = (
    # (name, task, every, period, expire_seconds)
    ("outbox: drain", "outbox.drain", 1, "seconds", 5),
    ("outbox: purge processed entries", "outbox.purge_processed", 1, "days", 3600),
)


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [schedule_periodic_tasks(SCHEDULE)]
