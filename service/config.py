"""Settings from environment variables, with defaults for the embedded development setup.

Every variable is documented in README.md ("Configuration"). The defaults make `make serve`
work on a fresh machine; `AUTOFIN_ENV=production` refuses to start while any default secret
or an unencrypted SMTP setup is still in place (see `Settings.production_problems`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = REPO_ROOT / "var"

# Development-only secrets. They are public (they are in this file), so production refuses them.
DEV_SECRET_KEY = "dev-only-secret-key-change-me-0000000000000000"
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc="  # 32 bytes, base64
DEV_BLIND_INDEX_KEY = "dev-only-blind-index-key-change-me-000000000"

ENVIRONMENTS = ("development", "test", "production")
SMTP_TLS_MODES = ("none", "starttls", "tls")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the variable(s) at fault."""


def _bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def _amount(value: str, name: str) -> Decimal:
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise ConfigError(f"{name} must be an amount like 250.00, got {value!r}") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ConfigError(f"{name} must be an amount of zero or more in whole cents, got {value!r}")
    return amount.quantize(Decimal("0.01"))


def _float(value: str, name: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {value!r}") from None


def _list(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    database_url: str = f"sqlite://{DEFAULT_VAR_DIR / 'autofin.sqlite3'}"
    var_dir: Path = DEFAULT_VAR_DIR
    host: str = "127.0.0.1"
    port: int = 8000

    secret_key: str = DEV_SECRET_KEY
    field_encryption_key: str = DEV_FIELD_ENCRYPTION_KEY
    blind_index_key: str = DEV_BLIND_INDEX_KEY

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_tls: str = "none"
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    mail_from: str = "autofin <no-reply@autofin.localhost>"
    # The embedded SMTP sink that stores mail as files under var/mail (development only).
    mail_sink: bool = True

    cors_origins: tuple[str, ...] = ()
    cookie_secure: bool = False
    session_cookie_name: str = "autofin_session"
    csrf_cookie_name: str = "autofin_csrf"
    session_idle_minutes: int = 15
    session_absolute_hours: int = 12

    graphiql: bool = True
    introspection: bool = True
    # Run the background worker inside the web process (the embedded default).
    embedded_worker: bool = True
    # Where emailed links point: the customer portal app, which calls the matching mutation.
    portal_url: str = "http://127.0.0.1:8000/portal"
    # Proof-of-work challenge after repeated failed sign-ins: the largest number a client may
    # have to try (about 0.1 s of SHA-256 in a browser at the default).
    challenge_max_number: int = 100_000
    # Which payment gateway adapter charges cards and bank accounts (gateways/payments.py).
    payment_gateway: str = "sandbox"
    # Which credit bureau adapter pulls credit reports (gateways/bureau.py); the sandbox answers test SSNs.
    credit_bureau: str = "sandbox"
    # Which SMS adapter sends support's one-time codes (gateways/sms.py); the sandbox writes files under var/sms.
    sms_gateway: str = "sandbox"
    # argon2id cost; tests lower it through AUTOFIN_ARGON2_PROFILE=cheapest.
    argon2_profile: str = "default"
    log_level: str = "INFO"
    # Live subscriptions (resolvers/live/fanout.py): how often a SQLite process looks for new live
    # events (PostgreSQL is told at once by LISTEN/NOTIFY), and how often an open WebSocket checks
    # that its session is still valid (revoked, expired or idle sessions close it).
    live_poll_seconds: float = 0.5
    live_session_check_seconds: float = 30.0
    # Ledger corrections moving more than this need a SUPPORT_LEAD's approval whatever the proposer's
    # role (resolvers/support/corrections.py; docs/decisions.md).
    correction_approval_threshold: Decimal = Decimal("250.00")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def production_problems(self) -> list[str]:
        """What keeps these settings from being safe in production, one line per variable."""
        problems = []
        defaults = {
            "AUTOFIN_SECRET_KEY": (self.secret_key, DEV_SECRET_KEY),
            "AUTOFIN_FIELD_ENCRYPTION_KEY": (self.field_encryption_key, DEV_FIELD_ENCRYPTION_KEY),
            "AUTOFIN_BLIND_INDEX_KEY": (self.blind_index_key, DEV_BLIND_INDEX_KEY),
        }
        for name, (value, default) in defaults.items():
            if value == default:
                problems.append(f"{name} is the public development default; set a secret value")
        if len(self.secret_key) < 32:
            problems.append("AUTOFIN_SECRET_KEY must be at least 32 characters")
        if self.smtp_tls == "none":
            problems.append("AUTOFIN_SMTP_TLS must be 'starttls' or 'tls' in production")
        if self.mail_sink:
            problems.append("AUTOFIN_MAIL_SINK must be false in production (it stores mail on disk)")
        if not self.cookie_secure:
            problems.append("AUTOFIN_COOKIE_SECURE must be true in production")
        if self.is_sqlite:
            problems.append("DATABASE_URL must point at PostgreSQL in production")
        if self.payment_gateway == "sandbox":
            problems.append("AUTOFIN_PAYMENT_GATEWAY is the sandbox, which moves no money; configure a real gateway")
        if self.credit_bureau == "sandbox":
            problems.append("AUTOFIN_CREDIT_BUREAU is the sandbox, which invents credit files; configure a real bureau")
        if self.sms_gateway == "sandbox":
            problems.append("AUTOFIN_SMS_GATEWAY is the sandbox, which sends no text messages; configure a real provider")
        return problems


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from `env` (default: the process environment) and validate them."""
    env = os.environ if env is None else env
    base = Settings()

    def get(name: str, default: object) -> str:
        return env.get(name, str(default))

    environment = get("AUTOFIN_ENV", base.environment)
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"AUTOFIN_ENV must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")
    production = environment == "production"
    var_dir = Path(get("AUTOFIN_VAR_DIR", base.var_dir))
    default_db = f"sqlite://{var_dir / 'autofin.sqlite3'}"
    smtp_tls = get("AUTOFIN_SMTP_TLS", base.smtp_tls)
    if smtp_tls not in SMTP_TLS_MODES:
        raise ConfigError(f"AUTOFIN_SMTP_TLS must be one of {', '.join(SMTP_TLS_MODES)}, got {smtp_tls!r}")

    settings = Settings(
        environment=environment,
        database_url=env.get("DATABASE_URL", default_db),
        var_dir=var_dir,
        host=get("AUTOFIN_HOST", base.host),
        port=_int(get("AUTOFIN_PORT", base.port), "AUTOFIN_PORT"),
        secret_key=get("AUTOFIN_SECRET_KEY", base.secret_key),
        field_encryption_key=get("AUTOFIN_FIELD_ENCRYPTION_KEY", base.field_encryption_key),
        blind_index_key=get("AUTOFIN_BLIND_INDEX_KEY", base.blind_index_key),
        smtp_host=get("AUTOFIN_SMTP_HOST", base.smtp_host),
        smtp_port=_int(get("AUTOFIN_SMTP_PORT", base.smtp_port), "AUTOFIN_SMTP_PORT"),
        smtp_tls=smtp_tls,
        smtp_username=get("AUTOFIN_SMTP_USERNAME", ""),
        smtp_password=get("AUTOFIN_SMTP_PASSWORD", ""),
        mail_from=get("AUTOFIN_MAIL_FROM", base.mail_from),
        mail_sink=_bool(get("AUTOFIN_MAIL_SINK", not production), "AUTOFIN_MAIL_SINK"),
        cors_origins=_list(get("AUTOFIN_CORS_ORIGINS", "")),
        cookie_secure=_bool(get("AUTOFIN_COOKIE_SECURE", production), "AUTOFIN_COOKIE_SECURE"),
        session_idle_minutes=_int(get("AUTOFIN_SESSION_IDLE_MINUTES", 15), "AUTOFIN_SESSION_IDLE_MINUTES"),
        session_absolute_hours=_int(
            get("AUTOFIN_SESSION_ABSOLUTE_HOURS", 12), "AUTOFIN_SESSION_ABSOLUTE_HOURS"
        ),
        graphiql=_bool(get("AUTOFIN_GRAPHIQL", not production), "AUTOFIN_GRAPHIQL"),
        introspection=_bool(get("AUTOFIN_INTROSPECTION", not production), "AUTOFIN_INTROSPECTION"),
        embedded_worker=_bool(get("AUTOFIN_EMBEDDED_WORKER", not production), "AUTOFIN_EMBEDDED_WORKER"),
        portal_url=get("AUTOFIN_PORTAL_URL", base.portal_url).rstrip("/"),
        challenge_max_number=_int(get("AUTOFIN_CHALLENGE_MAX_NUMBER", base.challenge_max_number),
                                  "AUTOFIN_CHALLENGE_MAX_NUMBER"),
        payment_gateway=get("AUTOFIN_PAYMENT_GATEWAY", base.payment_gateway),
        credit_bureau=get("AUTOFIN_CREDIT_BUREAU", base.credit_bureau),
        sms_gateway=get("AUTOFIN_SMS_GATEWAY", base.sms_gateway),
        argon2_profile=get("AUTOFIN_ARGON2_PROFILE", base.argon2_profile),
        log_level=get("AUTOFIN_LOG_LEVEL", base.log_level).upper(),
        live_poll_seconds=_float(get("AUTOFIN_LIVE_POLL_SECONDS", base.live_poll_seconds), "AUTOFIN_LIVE_POLL_SECONDS"),
        live_session_check_seconds=_float(get("AUTOFIN_LIVE_SESSION_CHECK_SECONDS", base.live_session_check_seconds),
                                          "AUTOFIN_LIVE_SESSION_CHECK_SECONDS"),
        correction_approval_threshold=_amount(get("AUTOFIN_CORRECTION_APPROVAL_THRESHOLD",
                                                  base.correction_approval_threshold),
                                              "AUTOFIN_CORRECTION_APPROVAL_THRESHOLD"),
    )
    if settings.is_production:
        problems = settings.production_problems()
        if problems:
            raise ConfigError("refusing to start in production:\n  - " + "\n  - ".join(problems))
    return settings
