"""Who is calling: the one value every authorisation decision looks at."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated, enabled user, as of this request."""

    id: int
    email: str
    is_admin: bool

    def may_see(self, owner_id: int | None) -> bool:
        """True for the owner of a resource and for admins."""
        return self.is_admin or owner_id == self.id
