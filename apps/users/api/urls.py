"""The users endpoints (version 1 only); URL names carry their version: ``auth-v1-<action>``, ``users-v1-<action>``."""

from django.urls import path

from apps.users.api import v1

urlpatterns = [
    path("auth/register", v1.RegisterApi.as_view(), name="auth-v1-register"),
    path("auth/token", v1.TokenObtainApi.as_view(), name="auth-v1-token"),
    path("auth/token/refresh", v1.TokenRefreshApi.as_view(), name="auth-v1-token-refresh"),
    path("auth/logout", v1.LogoutApi.as_view(), name="auth-v1-logout"),
    path("users/me", v1.MeApi.as_view(), name="users-v1-me"),
    path("users/<uuid:user_id>/deactivate", v1.DeactivateUserApi.as_view(), name="users-v1-deactivate"),
]
