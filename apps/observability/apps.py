from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "apps.observability"
    label = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        from django.conf import settings

        from apps.observability import tracing
        from apps.observability.logging import configure_structlog

        configure_structlog()
        tracing.configure(
            settings.TRACING_EXPORTERS,
            quiet_tasks=settings.TRACING_QUIET_TASKS,
            disabled=settings.OTEL_SDK_DISABLED,
            role=settings.PROCESS_ROLE,
        )
