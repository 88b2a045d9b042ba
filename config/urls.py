from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core import health
from apps.core.problems import not_found
from apps.security.views import jwks_view

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path(".well-known/jwks.json", jwks_view, name="jwks"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/<str:version>/", include("apps.users.api.urls")),
    # Anything else under /api/ is a problem-details 404, in DEBUG too.
    re_path(r"^api/", not_found),
]

# Errors raised before or around a view (a disallowed Host, a failing middleware) are problem details under /api/ too.
handler400 = "apps.core.problems.bad_request"
handler500 = "apps.core.problems.server_error"
