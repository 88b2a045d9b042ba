"""The benchmark's settings: orderflow's own (config.settings, from the environment), plus what only the
benchmark mounts.

- ``ROOT_URLCONF``: config.urls unchanged, then the baselines under ``/bench/`` (``scripts.bench_http.urls``);
- a query-counting middleware, outermost, that counts only when a request asks for it with
  ``X-Bench-Count-Queries: 1`` (the throughput runs never send that header, so they pay one dict lookup).

Production code never imports this module; only ``make bench-http`` points DJANGO_SETTINGS_MODULE at it.
"""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

ROOT_URLCONF = "scripts.bench_http.urls"
MIDDLEWARE = ["scripts.bench_http.middleware.QueryCountMiddleware", *MIDDLEWARE]
