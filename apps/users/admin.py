"""Back-office for users. Profile changes and deactivation go through the command bus as actions;
the aggregate's own fields are read-only here, only access flags and groups are edited directly."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.platform.buses import command_bus
from apps.users.models import User
from domain.kernel.messages import Command
from domain.kernel.result import Err
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
        self._dispatch_each(
            request, queryset, lambda user: UpdateProfile(user_id=user.id, display_name=display_name), "updated"
        )

    @admin.action(description="Deactivate the selected users", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        reason = request.POST.get("reason", "")
        self._dispatch_each(
            request,
            queryset,
            lambda user: DeactivateUser(user_id=user.id, reason=reason, requested_by=request.user.pk),
            "deactivated",
        )

    def _dispatch_each(self, request: HttpRequest, queryset: QuerySet[User], make: Any, verb: str) -> None:
        done = 0
        for user in queryset.only("id", "email"):
            command: Command = make(user)
            result = command_bus().dispatch(command)
            if isinstance(result, Err):
                self.message_user(request, f"{user.email}: {_describe(result.error)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} user(s) {verb}.", messages.SUCCESS)


def _describe(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if errors:
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
    return str(error)
