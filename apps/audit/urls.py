from django.urls import path

from apps.audit import api

urlpatterns_v1 = [
    path("audit-log", api.AuditLogApi.as_view(), name="audit-log"),
]
