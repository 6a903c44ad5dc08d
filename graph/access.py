"""Declaring who may call a field. Deny by default: tests/api/test_access.py walks the schema and
fails when a root field has no declaration. Usage: `@strawberry.field(extensions=[allow(CUSTOMERS)])`.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension

from auth.api_credentials import ApiAudience
from auth.permissions import Audience
from resolvers.errors import ClientFacingError, ErrorCode


class AudiencePermission(BasePermission):
    def __init__(self, audience: Audience) -> None:
        self.audience = audience

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        context = info.context
        credential = getattr(context, "api_credential", None)
        if credential is not None:  # a DMS's API credential: only the fields of an ApiAudience of its scopes
            return isinstance(self.audience, ApiAudience) and self.audience.admits_credential(credential)
        return self.audience.admits(context.user) or self.audience.admits_enrolling(context.enrolling_user)

    def on_unauthorized(self) -> None:
        raise ClientFacingError(
            ErrorCode.FORBIDDEN,
            f"This field is only for: {self.audience.describe()}. Sign in with an account that has access.",
        )


def allow(audience: Audience) -> PermissionExtension:
    return PermissionExtension(permissions=[AudiencePermission(audience)], fail_silently=False)


def declared_audience(field: Any) -> Audience | None:
    """The audience a strawberry field declares, or None (used by the schema walk test)."""
    for extension in getattr(field, "extensions", None) or ():
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if isinstance(permission, AudiencePermission):
                    return permission.audience
    return None
