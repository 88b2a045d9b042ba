from django.urls import path

from apps.users.api import v1

urlpatterns = [
    path("auth/register", v1.RegisterApi.as_view(), name="auth-register"),
    path("auth/token", v1.TokenObtainApi.as_view(), name="auth-token"),
    path("auth/token/refresh", v1.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/logout", v1.LogoutApi.as_view(), name="auth-logout"),
    path("users/me", v1.MeApi.as_view(), name="users-me"),
    path("users/<uuid:user_id>/deactivate", v1.DeactivateUserApi.as_view(), name="users-deactivate"),
]
