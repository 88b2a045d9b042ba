"""Who holds which grant on which order or invoice, to look up in the back-office.

Grants change through their owners' orders and invoices being created and
through ``manage.py grant_access`` (which audits the change), never by hand here.
"""

from __future__ import annotations

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin
from apps.security.models import (
    InvoiceGroupObjectPermission,
    InvoiceUserObjectPermission,
    OrderGroupObjectPermission,
    OrderUserObjectPermission,
)


class UserGrantAdmin(ReadOnlyAdmin):
    list_display = ("content_object_id", "user", "permission")
    list_filter = ("permission",)
    search_fields = ("=content_object__id", "user__email")
    list_select_related = ("user", "permission", "permission__content_type")
    show_full_result_count = False


class GroupGrantAdmin(ReadOnlyAdmin):
    list_display = ("content_object_id", "group", "permission")
    list_filter = ("permission", "group")
    search_fields = ("=content_object__id", "group__name")
    list_select_related = ("group", "permission", "permission__content_type")


admin.site.register(OrderUserObjectPermission, UserGrantAdmin)
admin.site.register(InvoiceUserObjectPermission, UserGrantAdmin)
admin.site.register(OrderGroupObjectPermission, GroupGrantAdmin)
admin.site.register(InvoiceGroupObjectPermission, GroupGrantAdmin)
