"""Beat's schedule for outbound webhooks, in django-celery-beat's tables (editable in the admin)."""

from django.db import migrations

from apps.platform.beat_schedule import schedule_periodic_tasks

SCHEDULE = (
    # (name, task, every, period, expire_seconds)
    ("webhooks: send due deliveries", "webhooks.send_due", 5, "seconds", 5),
    ("webhooks: purge deliveries past retention", "webhooks.purge_history", 1, "days", 3600),
)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [schedule_periodic_tasks(SCHEDULE)]
