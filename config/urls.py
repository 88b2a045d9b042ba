from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.observability.views import metrics_view
from apps.platform import health
from apps.platform.problems import not_found
from apps.security.views import jwks_view

# Swagger UI's top bar (its standalone preset) draws the Swagger logo as an SVG holding one <style> element. The
# docs page's Content-Security-Policy admits exactly that stylesheet, by its hash, and nothing else inline
# without the page's nonce. A Swagger UI release that changes it is refused, and the browser suite says so.
SWAGGER_UI_LOGO_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"
swagger_ui = csp_update({"style-src": [SWAGGER_UI_LOGO_STYLE]})(SpectacularSwaggerView.as_view(url_name="schema"))

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    # Prometheus's scrape target, behind METRICS_TOKEN; not part of the API (no schema, no version).
    path("metrics", metrics_view, name="metrics"),
    path(".well-known/jwks.json", jwks_view, name="jwks"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_v1", api_version="v1"), name="schema"),
    path("api/schema/v2/", SpectacularAPIView.as_view(urlconf="config.urls_v2", api_version="v2"), name="schema-v2"),
    path("api/docs/", swagger_ui, name="swagger-ui"),
    # One URL conf per version; a context that has no v2 endpoints is simply absent from v2.
    path("", include("config.urls_v1")),
    path("", include("config.urls_v2")),
    # Anything else under /api/ is a problem-details 404, in DEBUG too.
    re_path(r"^api/", not_found),
]

# Errors raised before or around a view (a disallowed Host, a failing middleware) are problem details under /api/ too.
handler400 = "apps.platform.problems.bad_request"
handler500 = "apps.platform.problems.server_error"
