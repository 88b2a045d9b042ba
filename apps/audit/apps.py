from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from apps.audit import actors, recorder

        actors.connect_celery_signals()
        # Session sign-ins (the admin's); the API's sign-in is the AuthenticateUser command, audited as such.
        user_logged_in.connect(recorder.record_admin_login, dispatch_uid="audit.admin_login")
        user_login_failed.connect(recorder.record_admin_login_failed, dispatch_uid="audit.admin_login_failed")
