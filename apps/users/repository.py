"""The Django repository of User aggregates."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import Group
from django.db import IntegrityError

from apps.security.principals import forget_access
from apps.users import mapper
from apps.users.models import User as UserRow
from domain.kernel.errors import ConflictError
from domain.users.errors import EmailAlreadyRegisteredError
from domain.users.events import UserRolesAssigned
from domain.users.model import Email, User
from domain.users.ports import UserRepository

Membership = UserRow.groups.through


class DjangoUserRepository(UserRepository):
    def _add(self, aggregate: User) -> None:
        """Nothing to do until flush: new users are inserted when the unit of work commits."""

    def _get(self, id: UUID) -> User | None:
        row = UserRow.objects.filter(pk=id).first()
        return mapper.to_domain(row, _roles_of(row.pk)) if row else None

    def get_by_email(self, email: Email) -> User | None:
        row = UserRow.objects.filter(email=email.value).first()
        if row is None:
            return None
        if row.id not in self.seen:
            self.seen[row.id] = mapper.to_domain(row, _roles_of(row.pk))
        return self.seen[row.id]

    def flush(self) -> None:
        """Insert new users and update changed ones, guarding each update with the loaded version.

        Raises ``EmailAlreadyRegisteredError`` when the e-mail is taken meanwhile and
        ``ConflictError`` when somebody else changed the user since it was loaded (or a
        role granted lost its group meanwhile).
        """
        for user in self.seen.values():
            if not user.pending_events:
                continue
            try:
                if user.loaded_version == 0:
                    mapper.to_row(user).save(force_insert=True)
                else:
                    updated = UserRow.objects.filter(pk=user.id, version=user.loaded_version).update(
                        **mapper.to_row_fields(user)
                    )
                    if updated != 1:
                        raise ConflictError("The user was changed by someone else meanwhile; try again.")
            except IntegrityError as exc:
                raise EmailAlreadyRegisteredError("An account with this e-mail address already exists.") from exc
            if any(isinstance(event, UserRolesAssigned) for event in user.pending_events):
                _write_roles(user)
            forget_access(user.id)  # deactivated, a role or the staff flag changed: no process keeps the old


def _roles_of(user_id: UUID) -> list[str]:
    return list(Group.objects.filter(user__pk=user_id).values_list("name", flat=True))


def _write_roles(user: User) -> None:
    """Make the user's groups exactly their roles: one delete for the revoked, one insert for the granted."""
    Membership.objects.filter(user_id=user.id).exclude(group__name__in=user.roles).delete()
    held = set(Membership.objects.filter(user_id=user.id).values_list("group__name", flat=True))
    granted = Group.objects.filter(name__in=user.roles - held)
    if len(granted) != len(user.roles - held):
        raise ConflictError("A role was removed meanwhile; try again.")
    Membership.objects.bulk_create([Membership(user_id=user.id, group=group) for group in granted])
