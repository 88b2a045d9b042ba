"""Back-office for users. Every change goes through the command bus: profile changes and deactivation as
actions, roles and the back-office flags from the change form (``AssignRoles``, ``SetStaffAccess``), so
each is authorized and audited like any other command. The aggregate's own fields are read-only here.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakSet

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from apps.platform.admin import dispatch_each, dispatch_one
from apps.users.models import User
from domain.users.commands import AssignRoles, DeactivateUser, SetStaffAccess, UpdateProfile

ACCESS_FIELDS = ("is_staff", "is_superuser", "groups")

# The change-form requests whose access change the command bus refused: they answer with the form again,
# an error message and no "changed successfully". Weak, so a finished request leaves nothing behind.
_refused: WeakSet[HttpRequest] = WeakSet()


class UserActionForm(ActionForm):
    display_name = forms.CharField(required=False, max_length=100, label="New display name")
    reason = forms.CharField(required=False, max_length=500, label="Deactivation reason")


class UserAccessForm(forms.ModelForm):
    """The back-office flags and the roles, one checkbox per role (a Django group, ``manage.py sync_roles``)."""

    class Meta:
        model = User
        fields = ACCESS_FIELDS
        labels = {"groups": "Roles", "is_staff": "Staff status"}
        widgets = {"groups": forms.CheckboxSelectMultiple}
        help_texts = {
            "groups": "What the user may do besides a customer's own business (domain/access/catalogue.py).",
            "is_superuser": "Holds every permission; only a superuser may change roles and these flags.",
        }


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "display_name", "is_active", "is_staff", "created_at", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("email",)
    ordering = ("-created_at",)
    form = UserAccessForm
    action_form = UserActionForm
    actions = ["update_display_name", "deactivate"]
    readonly_fields = (
        "id",
        "email",
        "display_name",
        "is_active",
        "created_at",
        "updated_at",
        "last_login",
        "version",
        "direct_permissions",
    )
    fieldsets = (
        (None, {"fields": ("id", "email", "display_name", "is_active", "version")}),
        ("Dates", {"fields": ("created_at", "updated_at", "last_login")}),
        ("Back-office access", {"fields": (*ACCESS_FIELDS, "direct_permissions")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts are created by registration (or `createsuperuser` for staff)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: history and audit keep pointing at the user

    @admin.display(description="Direct permissions")
    def direct_permissions(self, user: User) -> str:
        """Shown, never edited: permissions come with roles, and one given to a single user bypasses them."""
        names = sorted(
            f"{p.content_type.app_label}.{p.codename}" for p in user.user_permissions.select_related("content_type")
        )
        return ", ".join(names) or "none (permissions come with roles)"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Only a superuser may send AssignRoles and SetStaffAccess (apps/users/wiring.py); the bus refuses
        # everyone else anyway, so the form does not offer them what would be refused.
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if getattr(request.user, "is_superuser", False) else (*fields, *ACCESS_FIELDS)

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        """Send what the form changed as commands, never as a save of the row: roles first, then the flags,
        which are not sent once the roles were refused."""
        changed = set(form.changed_data)
        if "groups" in changed:
            roles = tuple(sorted(group.name for group in form.cleaned_data["groups"]))
            command = AssignRoles(user_id=obj.pk, roles=roles, requested_by=request.user.pk)
            if not dispatch_one(self, request, command, label=obj.email):
                _refused.add(request)
                return
        if changed & {"is_staff", "is_superuser"}:
            staff = SetStaffAccess(
                user_id=obj.pk,
                is_staff=form.cleaned_data["is_staff"],
                is_superuser=form.cleaned_data["is_superuser"],
                requested_by=request.user.pk,
            )
            if not dispatch_one(self, request, staff, label=obj.email):
                _refused.add(request)
                if "groups" in changed:
                    self.message_user(request, f"{obj.email}: the roles were saved.", messages.WARNING)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        """Nothing: the roles went through ``AssignRoles`` in ``save_model``, and there are no inlines."""

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if request in _refused:
            return None  # the admin's own history records changes, and a refused one changed nothing
        return super().log_change(request, obj, message)

    def response_change(self, request: HttpRequest, obj: User) -> HttpResponse:
        if request in _refused:
            _refused.discard(request)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)

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
