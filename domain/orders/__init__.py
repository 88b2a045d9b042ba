"""The orders context: placing orders, and their life through payment, shipping, cancellation and refund."""
