import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_asgi_application()

from apps.security.actors import mark_web_process  # noqa: E402  (after setup: the apps are loaded)

mark_web_process()  # outside a request, this process acts as nobody: the buses refuse what is not public
