"""Outbound webhooks: the destination guard and the HTTP transport that deliveries go through."""
