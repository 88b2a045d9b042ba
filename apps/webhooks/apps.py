from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from apps.observability import sampling
        from apps.webhooks import gauges

        sampling.register("webhooks", gauges.sample)
