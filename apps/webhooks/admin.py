"""Back-office for outbound webhooks: endpoints and their deliveries.

Nothing here writes a row. Subscribing (the add form), changing an endpoint (the change form),
disabling, enabling, rotating its secret and redelivering are commands sent through the command
bus in the staff member's own name, exactly as the API sends them, so the rules, the events and
the audit are the same whoever acts. Both screens are for whoever holds
``webhooks.manage_webhooks`` (the ``integrator`` role), as the buses' rules say.

A signing secret is shown once, on the page that answers the subscription or the rotation
(rendered from that request, never stored in a message or the session), and never again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join

from apps.platform.admin import ReadOnlyAdmin, describe, dispatch_each
from apps.platform.buses import command_bus
from apps.webhooks import mapper
from apps.webhooks.models import Attempt, Delivery, Endpoint
from apps.webhooks.wiring import MANAGE
from domain.kernel.messages import Command
from domain.kernel.result import Err
from domain.webhooks.commands import (
    DisableEndpoint,
    EnableEndpoint,
    RedeliverDelivery,
    RedeliverSince,
    RotateEndpointSecret,
    SubscribeEndpoint,
    UpdateEndpoint,
)
from domain.webhooks.handlers import EndpointWithSecret

#: How long a rotated-out secret keeps signing unless the action form says otherwise: one day.
DEFAULT_OVERLAP_SECONDS = 86_400
SECRET_TEMPLATE = "admin/webhooks/endpoint/secret.html"
ATTEMPT_HEADINGS = ("Attempted at", "Status", "Error", "Duration", "Response body", "Request headers")
#: How much of a receiver's answer the attempts' table shows (the row keeps more).
RESPONSE_SHOWN = 500
FIELDS = ("url", "event_types", "description")


def manages_webhooks(request: HttpRequest) -> bool:
    """Whoever the buses let manage webhooks: the ``integrator`` role, and superusers."""
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_perm(MANAGE))


def event_types_from(text: str) -> tuple[str, ...]:
    """Event types written one a line or separated by commas, in the order given."""
    return tuple(part for part in re.split(r"[\s,]+", text) if part)


class EndpointForm(forms.ModelForm):
    """The URL, event types and description, sent as ``SubscribeEndpoint`` or ``UpdateEndpoint``.

    The command is sent once the form's own checks pass (``send``, set by ``EndpointAdmin.get_form``),
    so the command's refusals are the form's errors and the page keeps what was typed. The row is
    never saved from here: the command wrote it.
    """

    event_types = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="One a line or separated by commas: exact types (orders.order_paid) or a context's "
        "wildcard (orders.*).",
    )

    #: Sends the form's command; set per request by the admin.
    send: Callable[[EndpointForm], None] | None = None
    #: What the command answered: an ``EndpointWithSecret`` when subscribed, else the endpoint.
    sent: Any = None

    class Meta:
        model = Endpoint
        fields = FIELDS
        labels = {"url": "URL"}
        widgets = {"url": forms.TextInput(attrs={"size": 80})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["event_types"] = "\n".join(self.instance.event_types)

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and not self._errors and self.send is not None:
            self.send(self)


class EndpointActionForm(ActionForm):
    # Checked by the actions and the commands, which name what is wrong; a required field or a length
    # limit here would make the admin answer "No action selected" instead.
    reason = forms.CharField(required=False, label="Reason (disable)")
    overlap_seconds = forms.CharField(
        required=False, initial=str(DEFAULT_OVERLAP_SECONDS), label="Old secret signs for, seconds (rotate)"
    )
    since = forms.CharField(required=False, label="Since, YYYY-MM-DD HH:MM (redeliver)")


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    action_form = EndpointActionForm
    list_display = (
        "url",
        "enabled",
        "event_types_list",
        "description",
        "failing_since",
        "disabled_cause",
        "subscribed_at",
    )
    list_filter = ("enabled", "disabled_cause")
    search_fields = ("url", "description")
    ordering = ("-subscribed_at", "-id")
    actions = ["disable", "enable", "rotate_secret", "redeliver_since"]
    readonly_fields = (
        "id",
        "enabled",
        "disabled_reason",
        "disabled_cause",
        "disabled_at",
        "failing_since",
        "subscribed_at",
        "signing",
        "version",
    )
    fieldsets = (
        (None, {"fields": FIELDS}),
        ("State", {"fields": ("id", "enabled", "failing_since", "subscribed_at", "version")}),
        ("Disabled", {"fields": ("disabled_cause", "disabled_reason", "disabled_at")}),
        ("Signing", {"fields": ("signing",)}),
    )
    add_fieldsets = ((None, {"fields": FIELDS}),)

    @admin.display(description="Event types")
    def event_types_list(self, endpoint: Endpoint) -> str:
        return ", ".join(endpoint.event_types)

    @admin.display(description="Signing secrets")
    def signing(self, endpoint: Endpoint) -> str:
        """How many secrets sign now and when the rotated-out one stops; never a secret's value."""
        now = timezone.now()
        signing = [secret for secret in mapper.secrets_of(endpoint) if secret.signs_at(now)]
        previous = [secret.expires_at for secret in signing if secret.expires_at is not None]
        count = f"{len(signing)} secret{'' if len(signing) == 1 else 's'} sign each delivery"
        if not previous:
            return f"{count}; no previous secret signs any more."
        return f"{count}; the previous one stops signing at {timezone.localtime(max(previous)):%Y-%m-%d %H:%M:%S %Z}."

    # --- who sees what ---------------------------------------------------------------------------

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return manages_webhooks(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return manages_webhooks(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return manages_webhooks(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # disabling is how an endpoint stops; its deliveries stay to be read and redelivered

    def has_module_permission(self, request: HttpRequest) -> bool:
        return manages_webhooks(request)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if obj is None else tuple(self.readonly_fields)

    # --- the forms send commands -----------------------------------------------------------------

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)

        def send(bound: EndpointForm) -> None:
            command = self._command(request, bound, obj)
            if command is None:
                return
            result = command_bus().dispatch(command)
            if isinstance(result, Err):
                self.message_user(request, describe(result.error), messages.ERROR)
                errors = getattr(result.error, "errors", None) or {}
                placed = False
                for field, texts in errors.items():
                    if field in bound.fields:
                        bound.add_error(field, list(texts))
                        placed = True
                if not placed:
                    bound.add_error(None, describe(result.error))
                return
            bound.sent = result.value

        return type(form.__name__, (form,), {"send": staticmethod(send)})

    def _command(self, request: HttpRequest, form: EndpointForm, obj: Endpoint | None) -> Command | None:
        data = form.cleaned_data
        allow_http = settings.WEBHOOKS_ALLOW_HTTP
        if obj is None:
            return SubscribeEndpoint(
                url=data["url"],
                event_types=event_types_from(data["event_types"]),
                description=data.get("description") or "",
                requested_by=request.user.pk,
                allow_http=allow_http,
            )
        changed = set(form.changed_data)
        if not changed:
            return None
        return UpdateEndpoint(
            endpoint_id=obj.pk,
            requested_by=request.user.pk,
            url=data["url"] if "url" in changed else None,
            event_types=event_types_from(data["event_types"]) if "event_types" in changed else None,
            description=(data.get("description") or "") if "description" in changed else None,
            allow_http=allow_http,
        )

    def save_model(self, request: HttpRequest, obj: Endpoint, form: forms.ModelForm, change: bool) -> None:
        """Nothing to save: the form's command wrote the row. ``obj`` becomes the row as it now is."""
        sent = getattr(form, "sent", None)
        if isinstance(sent, EndpointWithSecret):
            obj.pk = sent.endpoint_id
            obj.secret_shown_once = sent.secret.value
        if obj.pk is not None:
            obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        """Nothing: an endpoint has no related rows to save."""

    def response_add(self, request: HttpRequest, obj: Endpoint, post_url_continue: str | None = None) -> HttpResponse:
        """The new endpoint's secret, on this page only."""
        secret = getattr(obj, "secret_shown_once", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, f"The webhook endpoint {obj.url} was subscribed.", messages.SUCCESS)
        return self._secrets_page(request, [(obj, secret)], "New webhook endpoint")

    def _secrets_page(self, request: HttpRequest, shown: list[tuple[Endpoint, str]], title: str) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "endpoints": [
                {
                    "url": endpoint.url,
                    "secret": secret,
                    "change_url": reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]),
                }
                for endpoint, secret in shown
            ],
            "changelist_url": reverse("admin:webhooks_endpoint_changelist"),
        }
        response = TemplateResponse(request, SECRET_TEMPLATE, context)
        add_never_cache_headers(response)
        return response

    # --- actions ---------------------------------------------------------------------------------

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return manages_webhooks(request)

    @admin.action(description="Disable the selected endpoints (give a reason)", permissions=["manage"])
    def disable(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        reason = request.POST.get("reason", "")

        def command(endpoint: Endpoint) -> Command:
            return DisableEndpoint(endpoint_id=endpoint.pk, reason=reason, requested_by=request.user.pk)

        dispatch_each(self, request, _rows(queryset), command, label=_label, done="{} endpoint(s) disabled.")

    @admin.action(description="Enable the selected endpoints", permissions=["manage"])
    def enable(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        def command(endpoint: Endpoint) -> Command:
            return EnableEndpoint(endpoint_id=endpoint.pk, requested_by=request.user.pk)

        dispatch_each(self, request, _rows(queryset), command, label=_label, done="{} endpoint(s) enabled.")

    @admin.action(description="Rotate the signing secret of the selected endpoints", permissions=["manage"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> HttpResponse | None:
        text = request.POST.get("overlap_seconds", "").strip() or str(DEFAULT_OVERLAP_SECONDS)
        if not re.fullmatch(r"[0-9]{1,9}", text):
            self.message_user(request, f"The overlap is a whole number of seconds, not {text!r}.", messages.ERROR)
            return None
        overlap = int(text)
        rotated: list[tuple[Endpoint, str]] = []
        for endpoint in _rows(queryset):
            command = RotateEndpointSecret(
                endpoint_id=endpoint.pk, overlap_seconds=overlap, requested_by=request.user.pk
            )
            result = command_bus().dispatch(command)
            if isinstance(result, Err):
                self.message_user(request, f"{_label(endpoint)}: {describe(result.error)}", messages.ERROR)
                continue
            rotated.append((endpoint, result.value.secret.value))
        if not rotated:
            return None
        self.message_user(request, f"{len(rotated)} endpoint(s) given a new secret.", messages.SUCCESS)
        return self._secrets_page(request, rotated, "New signing secrets")

    @admin.action(
        description="Redeliver what the selected endpoints were sent since a time (give it)", permissions=["manage"]
    )
    def redeliver_since(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        since = _since(request.POST.get("since", ""))
        if since is None:
            self.message_user(
                request, "Give the time to redeliver from, as YYYY-MM-DD HH:MM (the site's time zone).", messages.ERROR
            )
            return
        endpoints = redelivered = 0
        for endpoint in _rows(queryset):
            command = RedeliverSince(endpoint_id=endpoint.pk, since=since, requested_by=request.user.pk)
            result = command_bus().dispatch(command)
            if isinstance(result, Err):
                self.message_user(request, f"{_label(endpoint)}: {describe(result.error)}", messages.ERROR)
                continue
            endpoints += 1
            redelivered += result.value
        if endpoints:
            self.message_user(
                request,
                f"{redelivered} finished delivery(ies) of {endpoints} endpoint(s) will be sent again.",
                messages.SUCCESS,
            )


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "webhook_id",
        "endpoint",
        "event_type",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status",
        "last_error",
        "created_at",
    )
    list_select_related = ("endpoint",)
    # No filter by event type: listing its choices would read every delivery; search it ("=event_type").
    list_filter = ("status", "endpoint")
    search_fields = ("=event_type",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    show_full_result_count = False  # no COUNT(*) over a table that grows with every event
    actions = ["redeliver"]
    fieldsets = (
        (None, {"fields": ("webhook_id", "endpoint", "event_type", "event_id", "status")}),
        ("Attempts", {"fields": ("attempts", "next_attempt_at", "last_attempt_at", "last_status", "last_error")}),
        ("Dates", {"fields": ("occurred_at", "created_at")}),
        ("Message", {"fields": ("body",)}),
        ("History", {"fields": ("attempts_table",)}),
    )
    readonly_fields = tuple(field for _, section in fieldsets for field in section["fields"])

    @admin.display(description="Webhook id", ordering="id")
    def webhook_id(self, delivery: Delivery) -> str:
        return f"msg_{delivery.id.hex}"

    @admin.display(description="Event id")
    def event_id(self, delivery: Delivery) -> str:
        return str(delivery.message_id)

    @admin.display(description="Body")
    def body(self, delivery: Delivery) -> str:
        text = delivery.message.body
        with suppress(ValueError):  # else shown as stored
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        return format_html("<pre>{}</pre>", text)

    @admin.display(description="Attempts")
    def attempts_table(self, delivery: Delivery) -> str:
        attempts = list(delivery.attempt_history.order_by("attempted_at", "id"))
        if not attempts:
            return "No attempt yet."
        header = format_html_join("", "<th>{}</th>", ((heading,) for heading in ATTEMPT_HEADINGS))
        rows = format_html_join("", "<tr>{}</tr>", ((_attempt_cells(attempt),) for attempt in attempts))
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", header, rows)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Delivery], search_term: str) -> Any:
        """A webhook id (``msg_<hex>``, as receivers quote it) finds its delivery; anything else an event type."""
        term = search_term.strip()
        if term.startswith("msg_"):
            try:
                return queryset.filter(pk=UUID(hex=term.removeprefix("msg_"))), False
            except ValueError:
                return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).select_related("endpoint", "message")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return manages_webhooks(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return manages_webhooks(request)

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return manages_webhooks(request)

    @admin.action(description="Redeliver the selected deliveries", permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        def command(delivery_id: UUID) -> Command:
            return RedeliverDelivery(delivery_id=delivery_id, requested_by=request.user.pk)

        dispatch_each(
            self,
            request,
            queryset.values_list("id", flat=True),
            command,
            label=lambda delivery_id: f"msg_{delivery_id.hex}",
            done="{} delivery(ies) will be sent again.",
        )


def _attempt_cells(attempt: Attempt) -> str:
    body = attempt.response_body[:RESPONSE_SHOWN]
    if attempt.response_truncated or len(attempt.response_body) > RESPONSE_SHOWN:
        body += " …"
    headers = format_html_join("", "{}: {}<br>", sorted(attempt.request_headers.items()))
    return format_html(
        "<td>{}</td><td>{}</td><td>{}</td><td>{} ms</td><td><pre>{}</pre></td><td>{}</td>",
        timezone.localtime(attempt.attempted_at).strftime("%Y-%m-%d %H:%M:%S"),
        attempt.status_code if attempt.status_code is not None else "none",
        attempt.error or "",
        attempt.duration_ms,
        body,
        headers,
    )


def _rows(queryset: QuerySet[Endpoint]) -> QuerySet[Endpoint]:
    return queryset.only("id", "url")


def _label(endpoint: Endpoint) -> str:
    return endpoint.url


def _since(text: str) -> datetime | None:
    """The action form's time, read in the site's time zone unless it names one; None when unreadable."""
    try:
        since = parse_datetime(text.strip())
    except ValueError:
        return None
    if since is None:
        return None
    try:
        aware = timezone.make_aware(since) if timezone.is_naive(since) else since
        aware.astimezone(UTC)  # a moment at the very edge of the calendar has no UTC time
    except (OverflowError, ValueError):
        return None
    return aware
