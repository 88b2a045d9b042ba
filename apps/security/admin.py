"""Back-office screens of django-guardian's object grants, for the contexts to register on their grant tables.

Grants change through ``manage.py grant_access`` (which audits the change), never by hand here.
"""

from __future__ import annotations

from apps.platform.admin import ReadOnlyAdmin


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
