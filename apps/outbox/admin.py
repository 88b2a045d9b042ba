from django.contrib import admin

from apps.outbox.models import OutboxEntry


@admin.register(OutboxEntry)
class OutboxEntryAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by units of work and drained by the dispatcher."""

    list_display = ("event_type", "aggregate_type", "aggregate_id", "aggregate_version", "status", "created_at")
    list_filter = ("status", "event_type", "aggregate_type")
    search_fields = ("=aggregate_id", "=id", "=correlation_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
