"""The Django repository of User aggregates."""

from __future__ import annotations

from uuid import UUID

from django.db import IntegrityError

from apps.users import mapper
from apps.users.models import User as UserRow
from domain.kernel.errors import ConflictError
from domain.users.errors import EmailAlreadyRegisteredError
from domain.users.model import Email, User
from domain.users.ports import UserRepository


class DjangoUserRepository(UserRepository):
    def _add(self, aggregate: User) -> None:
        """Nothing to do until flush: new users are inserted when the unit of work commits."""

    def _get(self, id: UUID) -> User | None:
        row = UserRow.objects.filter(pk=id).first()
        return mapper.to_domain(row) if row else None

    def get_by_email(self, email: Email) -> User | None:
        row = UserRow.objects.filter(email=email.value).first()
        if row is None:
            return None
        if row.id not in self.seen:
            self.seen[row.id] = mapper.to_domain(row)
        return self.seen[row.id]

    def flush(self) -> None:
        """Insert new users and update changed ones, guarding each update with the loaded version.

        Raises ``EmailAlreadyRegisteredError`` when the e-mail is taken meanwhile and
        ``ConflictError`` when somebody else changed the user since it was loaded.
        """
        for user in self.seen.values():
            if not user.pending_events:
                continue
            try:
                if user.loaded_version == 0:
                    mapper.to_row(user).save(force_insert=True)
                    continue
                updated = UserRow.objects.filter(pk=user.id, version=user.loaded_version).update(
                    **mapper.to_row_fields(user)
                )
            except IntegrityError as exc:
                raise EmailAlreadyRegisteredError("An account with this e-mail address already exists.") from exc
            if updated != 1:
                raise ConflictError("The user was changed by someone else meanwhile; try again.")
