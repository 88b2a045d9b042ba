"""Per-object grants on orders and invoices: django-guardian's permission tables, with direct foreign keys.

Direct keys (rather than guardian's generic ``object_pk`` text column) let a
list join the grants on the real key type, with an index and no casts; guardian
finds these tables by their ``content_object`` field. ``apps.security.access``
writes and reads them.
"""

from __future__ import annotations

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class OrderUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="user_grants")

    class Meta(UserObjectPermissionBase.Meta):
        db_table = "order_user_grants"
        verbose_name = "order grant to a user"


class OrderGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="group_grants")

    class Meta(GroupObjectPermissionBase.Meta):
        db_table = "order_group_grants"
        verbose_name = "order grant to a group"


class InvoiceUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey("billing.Invoice", on_delete=models.CASCADE, related_name="user_grants")

    class Meta(UserObjectPermissionBase.Meta):
        db_table = "invoice_user_grants"
        verbose_name = "invoice grant to a user"


class InvoiceGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("billing.Invoice", on_delete=models.CASCADE, related_name="group_grants")

    class Meta(GroupObjectPermissionBase.Meta):
        db_table = "invoice_group_grants"
        verbose_name = "invoice grant to a group"
