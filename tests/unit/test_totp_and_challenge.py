"""The proof-of-work challenge and TOTP/recovery-code primitives, without a database."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from auth import challenge, totp
from resolvers.identity.login import device_fingerprint
from service.clock import FrozenClock
from service.demo_data import demo_totp_secret

SECRET_KEY = "unit-test-secret-key-0123456789abcdef"
START = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # a step boundary


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


def _solution(made: challenge.Challenge, **changes) -> challenge.Solution:
    values = {"salt": made.salt, "challenge": made.challenge, "signature": made.signature,
              "number": challenge.solve(made, made.max_number)}
    return challenge.Solution(**{**values, **changes})


def test_a_solved_challenge_verifies(clock):
    made = challenge.create(SECRET_KEY, clock, 200)
    assert made.algorithm == "SHA-256" and made.max_number == 200 and len(made.challenge) == 64
    assert "?expires=" in made.salt and made.expires == START + challenge.TTL
    assert challenge.verify(SECRET_KEY, clock, _solution(made))


def test_a_challenge_fails_with_a_wrong_number_signature_key_or_salt(clock):
    made = challenge.create(SECRET_KEY, clock, 200)
    good = _solution(made)
    assert not challenge.verify(SECRET_KEY, clock, _solution(made, number=good.number + 1))
    assert not challenge.verify(SECRET_KEY, clock, _solution(made, signature="0" * 64))
    assert not challenge.verify("another-key-0123456789abcdef0123456789", clock, good)
    assert not challenge.verify(SECRET_KEY, clock, _solution(made, number=-1))
    # Moving the expiry changes the salt, so the signed challenge no longer matches it.
    later = made.salt.split("?")[0] + f"?expires={int((START + timedelta(days=1)).timestamp())}"
    assert not challenge.verify(SECRET_KEY, clock, _solution(made, salt=later))


def test_a_challenge_expires(clock):
    made = challenge.create(SECRET_KEY, clock, 50)
    solution = _solution(made)
    clock.advance(challenge.TTL - timedelta(seconds=1))
    assert challenge.verify(SECRET_KEY, clock, solution)
    clock.advance(timedelta(seconds=1))
    assert not challenge.verify(SECRET_KEY, clock, solution)


def test_a_challenge_without_expiry_or_with_junk_is_refused(clock):
    made = challenge.create(SECRET_KEY, clock, 50)
    junk = challenge.Solution(salt="abc", challenge="é" * 64, signature="x" * 64, number=1)
    assert not challenge.verify(SECRET_KEY, clock, junk)
    assert not challenge.verify(SECRET_KEY, clock, _solution(made, challenge="short"))


def test_totp_accepts_one_step_either_side_and_reports_it(clock):
    secret = totp.new_secret()
    assert len(base64.b32decode(secret)) == 20  # 160 bits
    now_step = totp.time_step(clock.now())
    for offset in (-1, 0, 1):
        code = totp.code_at_step(secret, now_step + offset)
        assert totp.matching_step(secret, code, clock.now()) == now_step + offset
    for offset in (-2, 2):
        assert totp.matching_step(secret, totp.code_at_step(secret, now_step + offset), clock.now()) is None
    assert totp.matching_step(secret, "12345a", clock.now()) is None
    assert totp.matching_step(secret, "", clock.now()) is None


def test_totp_codes_are_standard_rfc_6238(clock):
    secret = totp.new_secret()
    assert totp.current_code(secret, clock) == pyotp.TOTP(secret).at(clock.now())
    uri = totp.provisioning_uri(secret, "alice")
    parts = urlsplit(uri)
    query = parse_qs(parts.query)
    assert parts.scheme == "otpauth" and parts.netloc == "totp" and parts.path == "/autofin:alice"
    assert query["secret"] == [secret] and query["issuer"] == ["autofin"]
    assert query.get("digits", ["6"]) == ["6"] and query.get("period", ["30"]) == ["30"]
    svg = totp.qr_code_svg(uri)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_totp_secret_is_encrypted_and_bound_to_its_column():
    from auth.crypto import CryptoError, FieldCipher
    from service.config import DEV_BLIND_INDEX_KEY, DEV_FIELD_ENCRYPTION_KEY

    cipher = FieldCipher.from_settings(DEV_FIELD_ENCRYPTION_KEY, DEV_BLIND_INDEX_KEY)
    secret = totp.new_secret()
    stored = totp.encrypt_secret(cipher, secret)
    assert secret not in stored and totp.decrypt_secret(cipher, stored) == secret
    with pytest.raises(CryptoError):
        cipher.decrypt(stored, table="customers", column="ssn")


def test_recovery_codes_have_at_least_fifty_bits_and_normalize():
    codes = [totp.new_recovery_code() for _ in range(200)]
    assert len(set(codes)) == 200
    for code in codes[:10]:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
    assert totp.RECOVERY_CODE_LENGTH * 5 >= 50
    code = codes[0]
    assert totp.recovery_code_hash(code.lower().replace("-", " ")) == totp.recovery_code_hash(code)
    assert totp.normalize_recovery_code("oil0-") == "0110"
    assert len(totp.recovery_code_hash(code)) == 64 and code not in totp.recovery_code_hash(code)


def test_device_fingerprint_uses_browser_and_network():
    ua = "Mozilla/5.0 (X11) Firefox/140.0"
    assert device_fingerprint(ua, "203.0.113.10") == device_fingerprint(ua, "203.0.113.200")
    assert device_fingerprint(ua, "203.0.113.10") != device_fingerprint(ua, "203.0.114.10")
    assert device_fingerprint(ua, "203.0.113.10") != device_fingerprint("curl/8.0", "203.0.113.10")
    assert device_fingerprint(ua, "2001:db8:1:2::1") == device_fingerprint(ua, "2001:db8:1:ffff::9")
    assert device_fingerprint(ua, "2001:db8:1:2::1") != device_fingerprint(ua, "2001:db8:2:2::1")
    assert device_fingerprint(ua, "::ffff:203.0.113.10") == device_fingerprint(ua, "203.0.113.99")
    assert len(device_fingerprint(ua, "not an address")) == 64


def test_demo_totp_secrets_are_deterministic_valid_and_distinct():
    assert demo_totp_secret("admin") == demo_totp_secret("admin")
    assert demo_totp_secret("admin") != demo_totp_secret("dealer")
    assert len(base64.b32decode(demo_totp_secret("admin"))) == 20
