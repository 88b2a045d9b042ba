"""The migration state of django-guardian's two grant tables on one model: grants to users, grants to groups.

A context that owns grantable objects declares the tables in its ``models.py`` (direct foreign keys);
its migration takes their state from here rather than spelling it twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import migrations, models


def grant_table_state(model_name: str, target: str, *, table_prefix: str, noun: str) -> list[migrations.CreateModel]:
    """``<model_name>UserObjectPermission`` and ``<model_name>GroupObjectPermission`` on ``target``
    (``"app_label.model"``), in tables ``<table_prefix>_user_grants`` and ``<table_prefix>_group_grants``."""

    def table(holder: str, holder_field: models.ForeignKey) -> migrations.CreateModel:
        return migrations.CreateModel(
            name=f"{model_name}{holder.capitalize()}ObjectPermission",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "content_object",
                    models.ForeignKey(on_delete=models.CASCADE, related_name=f"{holder}_grants", to=target),
                ),
                ("permission", models.ForeignKey(on_delete=models.CASCADE, to="auth.permission")),
                (holder, holder_field),
            ],
            options={
                "verbose_name": f"{noun} grant to a {holder}",
                "db_table": f"{table_prefix}_{holder}_grants",
                "abstract": False,
                "unique_together": {(holder, "permission", "content_object")},
            },
        )

    return [
        table("group", models.ForeignKey(on_delete=models.CASCADE, to="auth.group")),
        table("user", models.ForeignKey(on_delete=models.CASCADE, to=settings.AUTH_USER_MODEL)),
    ]


def grant_tables_taken_over(model_name: str, target: str, *, table_prefix: str, noun: str) -> migrations.Operation:
    """The grant tables on ``target`` become this app's in the migration state; the tables themselves stay."""
    state = grant_table_state(model_name, target, table_prefix=table_prefix, noun=noun)
    return migrations.SeparateDatabaseAndState(state_operations=state, database_operations=[])
