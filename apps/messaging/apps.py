from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "apps.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        from apps.messaging import gauges
        from apps.observability import sampling

        sampling.register("dead_letters", gauges.sample_failures)
        sampling.register("dead_letter_queue", gauges.sample_queue)
