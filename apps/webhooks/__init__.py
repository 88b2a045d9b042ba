"""Outbound webhooks: partners subscribe URLs to orderflow's integration events (ADR-0014)."""
