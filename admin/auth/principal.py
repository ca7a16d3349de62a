"""Who is calling: the one value every authorisation decision looks at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

# What an API key may be allowed to do; a signed-in session may do all of it and more.
Scope = Literal["links:read", "links:write", "analytics:read"]
ALL_SCOPES: Final[tuple[Scope, ...]] = get_args(Scope)


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated, enabled user, as of this request.

    ``scopes`` is None for a signed-in session (an access token), which may do everything the
    account may. For an API key it is the key's scopes, and the key can never manage API keys,
    passwords or users, whatever its scopes: a leaked key must not be able to outlive its revocation.
    """

    id: int
    email: str
    is_admin: bool
    scopes: frozenset[Scope] | None = None

    @property
    def is_api_key(self) -> bool:
        return self.scopes is not None

    def has_scope(self, scope: Scope) -> bool:
        """True for a session, and for an API key created with ``scope``."""
        return self.scopes is None or scope in self.scopes

    def may_see(self, owner_id: int | None) -> bool:
        """True for the owner of a resource and for admins."""
        return self.is_admin or owner_id == self.id
