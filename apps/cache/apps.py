from django.apps import AppConfig


class CacheConfig(AppConfig):
    name = "apps.cache"
    label = "read_cache"
    verbose_name = "Read cache"

    def ready(self) -> None:
        from apps.cache.setup import install_from_settings

        install_from_settings()
