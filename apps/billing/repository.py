"""The Django repository of Invoice aggregates."""

from __future__ import annotations

from uuid import UUID

from django.db import IntegrityError

from apps.billing import mapper
from apps.billing.models import Invoice as InvoiceRow
from apps.billing.models import Payment as PaymentRow
from domain.billing.model import Invoice
from domain.billing.ports import InvoiceRepository
from domain.kernel.errors import ConflictError


class DjangoInvoiceRepository(InvoiceRepository):
    def __init__(self) -> None:
        super().__init__()
        #: The payments each loaded invoice had when it was read: the rows that exist already.
        self._stored_payments: dict[UUID, set[UUID]] = {}

    def _add(self, aggregate: Invoice) -> None:
        """Nothing to do until flush: new invoices are inserted when the unit of work commits."""

    def _get(self, id: UUID) -> Invoice | None:
        row = InvoiceRow.objects.filter(pk=id).first()
        return self._load(row) if row else None

    def get_by_order(self, order_id: UUID) -> Invoice | None:
        row = InvoiceRow.objects.filter(order_id=order_id).first()
        if row is None:
            return None
        if row.id not in self.seen:
            self.seen[row.id] = self._load(row)
        return self.seen[row.id]

    def flush(self) -> None:
        """Insert new invoices and update changed ones, guarding each update with the loaded version.

        Payments are only ever appended, so the rows of the payments recorded
        since loading are inserted: those it did not have when it was read (the
        guarded update proves nobody recorded one meanwhile). Raises ``ConflictError`` when somebody else
        changed the invoice since it was loaded, or issued one for the same order
        meanwhile (the unit of work then runs the command again on fresh state).
        """
        for invoice in self.seen.values():
            if not invoice.pending_events:
                continue
            rows = mapper.payment_rows(invoice)
            try:
                if invoice.loaded_version == 0:
                    mapper.to_row(invoice).save(force_insert=True)
                    PaymentRow.objects.bulk_create(rows)
                    continue
                updated = InvoiceRow.objects.filter(pk=invoice.id, version=invoice.loaded_version).update(
                    **mapper.to_row_fields(invoice)
                )
                if updated != 1:
                    raise ConflictError("The invoice was changed by someone else meanwhile; try again.")
                stored = self._stored_payments.get(invoice.id, set())
                PaymentRow.objects.bulk_create([row for row in rows if row.id not in stored])
            except IntegrityError as exc:
                raise ConflictError("An invoice for this order was issued meanwhile; try again.") from exc

    def _load(self, row: InvoiceRow) -> Invoice:
        invoice = mapper.to_domain(row, PaymentRow.objects.filter(invoice_id=row.id))
        self._stored_payments[invoice.id] = {payment.id for payment in invoice.payments}
        return invoice
