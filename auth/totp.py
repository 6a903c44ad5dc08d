"""TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps) and recovery codes.

- Secrets are random (160 bits), stored AES-GCM encrypted (auth/crypto.py, bound to
  users.mfa_secret) and shown to the user once, at enrolment.
- A code is accepted for the time step before, at or after now (±1 step, for clock drift), and
  only if its step is later than the last accepted one (`users.mfa_last_step`): a code works once.
  The step is stored with a conditional UPDATE (`mfa_last_step < step OR NULL`), so two requests
  racing with one code cannot both succeed (pyotp's `verify` neither reports the step nor
  prevents replay, so the matching step is computed here).
- Recovery codes: ten, 80 random bits each (16 Crockford base32 characters, `XXXX-XXXX-XXXX-XXXX`),
  shown once, stored as SHA-256, each spent by one conditional UPDATE on `used_at`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from tortoise.expressions import Q

from auth.crypto import FieldCipher
from models import RecoveryCode, User
from service.clock import Clock

ISSUER = "autofin"
DIGITS = 6
INTERVAL = 30
VALID_WINDOW = 1  # steps either side of now
SECRET_TABLE, SECRET_COLUMN = "users", "mfa_secret"

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 16  # x 5 bits = 80 bits
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


# -- secrets ---------------------------------------------------------------------------------

def new_secret() -> str:
    """A random base32 secret (32 characters = 160 bits, RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def encrypt_secret(cipher: FieldCipher, secret: str) -> str:
    return cipher.encrypt(secret, table=SECRET_TABLE, column=SECRET_COLUMN)


def decrypt_secret(cipher: FieldCipher, stored: str) -> str:
    return cipher.decrypt(stored, table=SECRET_TABLE, column=SECRET_COLUMN)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)  # SHA-1 by default


def provisioning_uri(secret: str, username: str) -> str:
    """otpauth://totp/autofin:<user>?secret=...&issuer=autofin (what authenticator apps scan)."""
    return _totp(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> str:
    """The URI as a QR code, inline SVG markup (no external image, no image stack)."""
    return segno.make(uri, error="m").svg_inline(scale=4, border=4)


# -- codes ---------------------------------------------------------------------------------

def time_step(when: datetime) -> int:
    return int(when.timestamp()) // INTERVAL


def code_at_step(secret: str, step: int) -> str:
    return _totp(secret).generate_otp(step)


def current_code(secret: str, clock: Clock) -> str:
    return code_at_step(secret, time_step(clock.now()))


def _looks_like_code(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (now-1, now or now+1) whose code is `code`, or None."""
    code = code.strip().replace(" ", "")
    if not _looks_like_code(code):
        return None
    current = time_step(now)
    found = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        # Check every step (no early exit) so timing does not tell which one matched.
        if hmac.compare_digest(code_at_step(secret, step).encode(), code.encode()) and found is None:
            found = step
    return found


async def claim_step(user_id: int, step: int, *, using_db=None) -> bool:
    """Record `step` as the last accepted one unless a step at or after it was accepted already.
    One conditional UPDATE: of two racing uses of one code, exactly one gets True."""
    query = User.filter(Q(id=user_id) & (Q(mfa_last_step__lt=step) | Q(mfa_last_step__isnull=True)))
    if using_db is not None:
        query = query.using_db(using_db)
    return await query.update(mfa_last_step=step) == 1


async def accept_code(user: User, code: str, *, cipher: FieldCipher, clock: Clock, using_db=None) -> bool:
    """True when `code` is a current code of the user's active secret that was never used."""
    if user.mfa_secret_encrypted is None or user.mfa_enabled_at is None:
        return False
    step = matching_step(decrypt_secret(cipher, user.mfa_secret_encrypted), code, clock.now())
    if step is None or (user.mfa_last_step is not None and step <= user.mfa_last_step):
        return False
    if not await claim_step(user.id, step, using_db=using_db):
        return False
    user.mfa_last_step = step
    return True


# -- recovery codes ------------------------------------------------------------------------------

def new_recovery_code() -> str:
    raw = "".join(secrets.choice(_CROCKFORD) for _ in range(RECOVERY_CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4))


def normalize_recovery_code(code: str) -> str:
    """Upper case without separators; O, I and L read as 0, 1 and 1 (Crockford base32)."""
    return "".join(ch for ch in code.upper() if ch not in "- \t").translate(_CROCKFORD_ALIASES)


def recovery_code_hash(code: str) -> str:
    return hashlib.sha256(normalize_recovery_code(code).encode("utf-8")).hexdigest()


async def replace_recovery_codes(user: User, *, using_db=None) -> list[str]:
    """Delete the user's recovery codes and make ten new ones; returns them in clear (show once)."""
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    query = RecoveryCode.filter(user_id=user.id)
    await (query.using_db(using_db) if using_db is not None else query).delete()
    await RecoveryCode.bulk_create(
        [RecoveryCode(user_id=user.id, code_hash=recovery_code_hash(code)) for code in codes], using_db=using_db
    )
    return codes


async def use_recovery_code(user: User, code: str, *, clock: Clock, using_db=None) -> bool:
    """Spend one unused recovery code of the user: True exactly once per code."""
    normalized = normalize_recovery_code(code)
    if len(normalized) != RECOVERY_CODE_LENGTH or any(ch not in _CROCKFORD for ch in normalized):
        return False
    query = RecoveryCode.filter(user_id=user.id, code_hash=recovery_code_hash(normalized), used_at=None)
    if using_db is not None:
        query = query.using_db(using_db)
    return await query.update(used_at=clock.now()) == 1


async def unused_recovery_codes(user: User, *, using_db=None) -> int:
    query = RecoveryCode.filter(user_id=user.id, used_at=None)
    return await (query.using_db(using_db) if using_db is not None else query).count()


async def delete_recovery_codes(user: User, *, using_db=None) -> None:
    query = RecoveryCode.filter(user_id=user.id)
    await (query.using_db(using_db) if using_db is not None else query).delete()
