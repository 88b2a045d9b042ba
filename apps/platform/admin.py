"""What the back-office screens share: read-only screens, and actions that send one command per row."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.http import HttpRequest

from apps.platform.buses import command_bus
from domain.kernel.messages import Command
from domain.kernel.result import Err

Row = TypeVar("Row")


class ReadOnlyAdmin(admin.ModelAdmin):
    """A screen to list, search and show rows that change only through commands and events.

    Nothing is added, edited or deleted by hand; a screen's actions (which dispatch
    commands) stay available.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def dispatch_each(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    rows: Iterable[Row],
    command_for: Callable[[Row], Command],
    *,
    label: Callable[[Row], object],
    done: str,
) -> None:
    """An admin action's work: one command per selected row, through the command bus like every other door.

    Each refusal is an error message naming its row (``label``); the successes are one message, ``done``
    with their count in place of ``{}`` ("{} item(s) archived.").
    """
    succeeded = sum(dispatch_one(model_admin, request, command_for(row), label=label(row)) for row in rows)
    if succeeded:
        model_admin.message_user(request, done.format(succeeded), messages.SUCCESS)


def dispatch_one(model_admin: admin.ModelAdmin[Any], request: HttpRequest, command: Command, *, label: object) -> bool:
    """Send one command through the command bus; a refusal becomes an error message naming ``label``.

    True when the command went through.
    """
    result = command_bus().dispatch(command)
    if isinstance(result, Err):
        model_admin.message_user(request, f"{label}: {describe(result.error)}", messages.ERROR)
        return False
    return True


def describe(error: Exception) -> str:
    """A refusal in one line, naming the fields of a validation error."""
    errors = getattr(error, "errors", None)
    if errors:
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
    return str(error)
