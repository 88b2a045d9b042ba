from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "apps.security"
    label = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from apps.security import actors, checks, principals  # noqa: F401  (checks: registers the system checks)

        actors.connect_celery_signals()
        principals.connect_signals()
