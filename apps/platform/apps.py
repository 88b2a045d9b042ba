from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """The plumbing every context uses. Its label stays ``core``, the name its tables and migrations were made under."""

    name = "apps.platform"
    label = "core"
    verbose_name = "Platform"
