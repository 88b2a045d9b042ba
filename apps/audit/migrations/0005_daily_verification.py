"""Beat walks the audit chain once a day, so its verification gauges are never older than that."""

from django.db import migrations

from apps.platform.beat_schedule import schedule_periodic_tasks

SCHEDULE = (
    # (name, task, every, period, expire_seconds)
    ("audit: verify the chain", "audit.verify", 1, "days", 3600),
)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_sealed_chain"),
    ]

    operations = [schedule_periodic_tasks(SCHEDULE)]
