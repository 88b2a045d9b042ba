"""The user row: Django's auth user (for admin, JWT and object permissions) holding the aggregate's state."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    """Used by Django's own tooling (``createsuperuser``); the API registers users through the command bus."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        fields.setdefault("display_name", email.split("@", 1)[0][:100])
        user = self.model(email=email.strip().lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    display_name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the admin back-office.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0, help_text="Grows by one with every event of the user.")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        db_table = "users"
        ordering = ["created_at"]
        # What roles grant (domain/access/catalogue.py); `manage.py sync_roles` puts them in groups.
        permissions = [("deactivate_user", "Can deactivate users")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=models.functions.Lower("email")), name="users_email_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return self.email


class UserReadModel(models.Model):
    """``users_read``: the users read side, projected from the users events (never written by commands)."""

    id = models.UUIDField(primary_key=True)
    email = models.EmailField(max_length=254, db_index=True)
    display_name = models.CharField(max_length=100)
    is_active = models.BooleanField()
    created_at = models.DateTimeField()
    last_login_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(help_text="The aggregate version of the last event applied.")

    class Meta:
        db_table = "users_read"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.email
