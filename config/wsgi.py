import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from apps.security.actors import mark_web_process  # noqa: E402  (after setup: the apps are loaded)

mark_web_process()  # outside a request, this process acts as nobody: the buses refuse what is not public
