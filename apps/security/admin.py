"""Back-office screens of roles and of django-guardian's object grants (the contexts register the latter on
their grant tables).

Nothing here changes by hand: a role's permissions come from the catalogue (``domain/access/catalogue.py``,
put in place by ``manage.py sync_roles``), who holds a role from the users screen (``AssignRoles``), and
grants from ``manage.py grant_access``; the last two are audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import Group

from apps.platform.admin import ReadOnlyAdmin

admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(ReadOnlyAdmin):
    """The roles as groups, with the permissions each holds; Django's own screen would let them be rewritten."""

    list_display = ("name", "permission_count")
    search_fields = ("name",)
    fields = ("name", "permissions")

    @admin.display(description="permissions")
    def permission_count(self, group: Group) -> int:
        return group.permissions.count()

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).prefetch_related("permissions")


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
