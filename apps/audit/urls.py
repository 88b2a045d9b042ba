"""The audit endpoint (version 1 only); its URL name carries its version, as every API URL name does."""

from django.urls import path

from apps.audit import api

urlpatterns_v1 = [
    path("audit-log", api.AuditLogApi.as_view(), name="audit-log-v1-list"),
]
