"""Back-office for users. Profile changes and deactivation go through the command bus as actions;
the aggregate's own fields are read-only here, only access flags and groups are edited directly."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.platform.admin import dispatch_each
from apps.users.models import User
from domain.users.commands import DeactivateUser, UpdateProfile


class UserActionForm(ActionForm):
    display_name = forms.CharField(required=False, max_length=100, label="New display name")
    reason = forms.CharField(required=False, max_length=500, label="Deactivation reason")


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "display_name", "is_active", "is_staff", "created_at", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email",)
    ordering = ("-created_at",)
    action_form = UserActionForm
    actions = ["update_display_name", "deactivate"]
    readonly_fields = ("id", "email", "display_name", "is_active", "created_at", "updated_at", "last_login", "version")
    fieldsets = (
        (None, {"fields": ("id", "email", "display_name", "is_active", "version")}),
        ("Dates", {"fields": ("created_at", "updated_at", "last_login")}),
        ("Back-office access", {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")}),
    )
    filter_horizontal = ("groups", "user_permissions")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts are created by registration (or `createsuperuser` for staff)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: history and audit keep pointing at the user

    @admin.action(description="Set the display name of the selected users", permissions=["change"])
    def update_display_name(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        display_name = request.POST.get("display_name", "")

        def command(user: User) -> UpdateProfile:
            return UpdateProfile(user_id=user.id, display_name=display_name)

        users = queryset.only("id", "email")
        dispatch_each(self, request, users, command, label=_label, done="{} user(s) updated.")

    @admin.action(description="Deactivate the selected users", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        reason = request.POST.get("reason", "")

        def command(user: User) -> DeactivateUser:
            return DeactivateUser(user_id=user.id, reason=reason, requested_by=request.user.pk)

        dispatch_each(
            self, request, queryset.only("id", "email"), command, label=_label, done="{} user(s) deactivated."
        )


def _label(user: User) -> str:
    return user.email
