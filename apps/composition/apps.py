from django.apps import AppConfig


class CompositionConfig(AppConfig):
    """The roof: when Django starts, it installs the buses and the consumers that every door then uses.

    Nothing imports this app but the entry points: Django loads it from ``INSTALLED_APPS``, and its
    management commands (``seed_db``, ``rebuild_read_models``, ``grant_access``) span the contexts.
    """

    name = "apps.composition"
    label = "composition"
    verbose_name = "Composition"

    def ready(self) -> None:
        from apps.composition import buses, consumers
        from apps.messaging import registry, routing
        from apps.platform import buses as accessor

        accessor.install(buses.build_buses)
        registry.install(consumers.PROJECTIONS, consumers.POLICIES)
        routing.install(consumers.GROUPED_WITH)
