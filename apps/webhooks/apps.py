from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from apps.observability import sampling
        from apps.webhooks import checks, gauges  # noqa: F401  (checks registers the system checks)

        sampling.register("webhooks", gauges.sample)
