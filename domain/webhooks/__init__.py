"""The webhooks context: partners' endpoints subscribed to integration events, and the deliveries to them."""
