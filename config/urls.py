from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.billing.api import urls as billing_api
from apps.core import health
from apps.core.problems import not_found
from apps.orders.api import urls as orders_api
from apps.security.views import jwks_view
from apps.users.api import urls as users_api

API_V1 = [*users_api.urlpatterns, *orders_api.urlpatterns_v1, *billing_api.urlpatterns_v1]
API_V2: list[URLPattern | URLResolver] = [*orders_api.urlpatterns_v2, *billing_api.urlpatterns_v2]

urlpatterns = [
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path(".well-known/jwks.json", jwks_view, name="jwks"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # One include per version; a context that has no v2 endpoints is simply absent from it.
    re_path(r"^api/(?P<version>v1)/", include(API_V1)),
    re_path(r"^api/(?P<version>v2)/", include(API_V2)),
    # Anything else under /api/ is a problem-details 404, in DEBUG too.
    re_path(r"^api/", not_found),
]

# Errors raised before or around a view (a disallowed Host, a failing middleware) are problem details under /api/ too.
handler400 = "apps.core.problems.bad_request"
handler500 = "apps.core.problems.server_error"
