"""Beat's schedule for billing, in django-celery-beat's tables (editable in the admin)."""

from django.db import migrations

from apps.platform.beat_schedule import schedule_periodic_tasks

SCHEDULE = (
    # (name, task, every, period, expire_seconds)
    ("billing: process received payment webhooks", "billing.process_webhook_events", 1, "minutes", 50),
)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [schedule_periodic_tasks(SCHEDULE)]
