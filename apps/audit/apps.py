from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from apps.audit import gauges, recorder
        from apps.observability import sampling
        from apps.platform.signals import message_forbidden, request_forbidden

        # Session sign-ins (the admin's); the API's sign-in is the AuthenticateUser command, audited as such.
        user_logged_in.connect(recorder.record_admin_login, dispatch_uid="audit.admin_login")
        user_login_failed.connect(recorder.record_admin_login_failed, dispatch_uid="audit.admin_login_failed")
        # Refusals for a missing permission: a request's 403, and a query the bus refused.
        request_forbidden.connect(recorder.record_permission_denied, dispatch_uid="audit.request_forbidden")
        message_forbidden.connect(recorder.record_forbidden_query, dispatch_uid="audit.message_forbidden")
        # The age of the oldest entry waiting for the sealer, on /metrics.
        sampling.register("audit", gauges.sample)
