"""Give every customer the grants on the orders and invoices they already have (new ones get them when created)."""

from itertools import islice

from django.contrib.auth.management import create_permissions
from django.db import migrations

BATCH = 2000
GRANTS = (  # (owned model, grant table, codenames the owner holds), as apps.security.access.OWNER_GRANTS says
    ("orders.Order", "security.OrderUserObjectPermission", ("view_order", "change_order")),
    ("billing.Invoice", "security.InvoiceUserObjectPermission", ("view_invoice",)),
)


def grant_owners(apps, schema_editor):
    user_ids = apps.get_model("users", "User").objects.values("id")
    for model_name, grant_name, codenames in GRANTS:
        model, grant = apps.get_model(model_name), apps.get_model(grant_name)
        owned = model.objects.filter(customer_id__in=user_ids).values_list("id", "customer_id")
        if not owned.exists():
            continue
        permissions = _permissions(apps, model, codenames)
        rows = (
            grant(content_object_id=pk, user_id=customer_id, permission_id=permission)
            for pk, customer_id in owned.iterator(chunk_size=BATCH)
            for permission in permissions
        )
        while batch := list(islice(rows, BATCH)):
            grant.objects.bulk_create(batch, ignore_conflicts=True)


def _permissions(apps, model, codenames):
    """The permission ids; created first if this database has never run post_migrate for the app."""
    app_config = apps.get_app_config(model._meta.app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    content_type = apps.get_model("contenttypes", "ContentType").objects.get_for_model(model)
    found = dict(
        apps.get_model("auth", "Permission")
        .objects.filter(content_type=content_type, codename__in=codenames)
        .values_list("codename", "id")
    )
    return [found[codename] for codename in codenames]


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0001_initial"),
        ("users", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_owners, migrations.RunPython.noop)]
