"""The audit trail: one append-only, hash-chained row per command, auth event and refusal.

A command writes its entry *unsealed* (no ``seq``, ``prev_hash`` or ``hash``) in its own
transaction, without waiting for anyone; the sealer (``apps.audit.sealer``) then gives each
committed entry its place in the chain and its hash, in the order the entries became visible
(ADR-0010).

Append-only three times over: the manager's ``update()``/``delete()`` raise, a
saved entry cannot be saved again or deleted, and on PostgreSQL a trigger
refuses ``UPDATE`` and ``DELETE`` of the table (migrations 0002 and 0004), except the sealer's
one update of an unsealed entry's three chain columns. The retention purge is the one other
exception, and it goes through a named path: see ``apps.audit.recorder.purge_through``.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models


class AppendOnlyError(Exception):
    """An attempt to change or remove an audit entry."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries are never updated")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit entries are never deleted; the retention purge is purge_audit_log")


class AuditEntry(models.Model):
    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor_id = models.UUIDField(null=True, blank=True, db_index=True)
    actor = models.CharField(max_length=200, db_index=True, help_text='"user:<id>", "system:celery", "anonymous", ...')
    action = models.CharField(max_length=100, db_index=True, help_text="A command's name or an auth event")
    target_type = models.CharField(max_length=100, blank=True, default="")
    target_id = models.CharField(max_length=100, blank=True, default="")
    outcome = models.CharField(max_length=200, help_text='"ok" or "refused: <error>"')
    correlation_id = models.CharField(max_length=128, blank=True, default="", db_index=True)
    # Text, not inet: the hash covers the address exactly as written, and inet would re-spell some IPv6 forms.
    ip = models.CharField(max_length=45, blank=True, default="")
    user_agent = models.CharField(max_length=512, blank=True, default="")
    changes = models.JSONField(default=dict, blank=True, help_text="The command's fields, secrets redacted")
    # The chain, filled in by the sealer: the entry's position (consecutive, so a removed entry leaves a
    # gap), the hash of the entry before it, and its own hash. Null (and "") until then.
    seq = models.BigIntegerField(
        null=True, blank=True, unique=True, help_text="Position in the chain; set by the sealer"
    )
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)  # null, not "": it is unique

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            # The sealer's work list: small, since entries leave it within about a second.
            models.Index(fields=["id"], condition=models.Q(hash__isnull=True), name="audit_unsealed_idx"),
        ]
        constraints = [
            # Sealed (a position and a hash) or waiting for the sealer (neither): no third kind of row.
            models.CheckConstraint(
                condition=models.Q(seq__isnull=True, hash__isnull=True, prev_hash="")
                | models.Q(seq__isnull=False, hash__isnull=False),
                name="audit_sealed_or_not",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.actor} {self.action} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit entries are never updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit entries are never deleted; the retention purge is purge_audit_log")


class AuditAnchor(models.Model):
    """Where the chain starts after a retention purge: the position and hash of the last entry removed."""

    last_seq = models.BigIntegerField(unique=True)
    last_entry_hash = models.CharField(max_length=64)
    purged_entries = models.PositiveBigIntegerField()
    purged_at = models.DateTimeField()

    class Meta:
        ordering = ["last_seq"]
        get_latest_by = "last_seq"

    def __str__(self) -> str:
        return f"entries up to position {self.last_seq} purged at {self.purged_at:%Y-%m-%d %H:%M}"
