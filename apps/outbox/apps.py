from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "apps.outbox"
    label = "outbox"
    verbose_name = "Outbox"

    def ready(self) -> None:
        from apps.observability import sampling
        from apps.outbox import gauges

        sampling.register("outbox", gauges.sample)
