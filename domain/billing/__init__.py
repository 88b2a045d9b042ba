"""The billing context: invoices for orders, and the payments made against them."""
