"""Logins (users with a role) and their server-side sessions."""

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import Role, SessionKind, SessionScope


class User(Model):
    """A login. Customers link to their Customer record, dealer staff to their dealership."""

    id = fields.BigIntField(primary_key=True)
    # Stored normalized (NFKC, casefolded) so "Jane" and "jane" are one login.
    username = fields.CharField(max_length=64, unique=True)
    email = fields.CharField(max_length=254)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16)
    customer = fields.OneToOneField(
        "autofin.Customer", related_name="user", null=True, on_delete=fields.RESTRICT
    )
    dealership = fields.ForeignKeyField(
        "autofin.Dealership", related_name="users", null=True, on_delete=fields.RESTRICT
    )
    is_active = fields.BooleanField(default=True)
    email_verified_at = fields.DatetimeField(null=True)
    password_changed_at = fields.DatetimeField(null=True)
    # TOTP: the secret is AES-GCM encrypted (auth/crypto.py); a pending one awaits its first code.
    mfa_secret_encrypted = fields.TextField(null=True)
    mfa_pending_secret_encrypted = fields.TextField(null=True)
    mfa_enabled_at = fields.DatetimeField(null=True)
    # The last accepted TOTP time step: a code at or before it is a replay.
    mfa_last_step = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"
        constraints = (
            CheckConstraint(
                check="(role = 'CUSTOMER') = (customer_id IS NOT NULL)",
                name="users_customer_link_matches_role",
            ),
            CheckConstraint(
                check="(role IN ('DEALER_USER', 'DEALER_ADMIN')) = (dealership_id IS NOT NULL)",
                name="users_dealership_link_matches_role",
            ),
        )


class Session(Model):
    """A signed-in device. Only the SHA-256 of the token is stored, never the token itself."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("autofin.User", related_name="sessions", on_delete=fields.CASCADE)
    token_hash = fields.CharField(max_length=64, unique=True)
    kind = fields.CharEnumField(SessionKind, max_length=8)
    scope = fields.CharEnumField(SessionScope, max_length=16, default=SessionScope.FULL)
    # Step-up: when the user last proved a password or TOTP code in this session.
    reauthenticated_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    ip = fields.CharField(max_length=45, default="")
    user_agent = fields.CharField(max_length=255, default="")

    class Meta:
        table = "sessions"
