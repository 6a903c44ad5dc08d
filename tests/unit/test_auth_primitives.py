"""Passwords, tokens and field encryption."""

from __future__ import annotations

import pytest

from auth.crypto import CryptoError, FieldCipher
from auth.passwords import Passwords
from auth.tokens import hashes_match, new_token, token_hash
from service.config import DEV_BLIND_INDEX_KEY, DEV_FIELD_ENCRYPTION_KEY

OTHER_KEY = "b3RoZXIta2V5LWZvci1yb3RhdGlvbi0zMi1ieXRlcyE="


def cipher(spec: str = DEV_FIELD_ENCRYPTION_KEY) -> FieldCipher:
    return FieldCipher.from_settings(spec, DEV_BLIND_INDEX_KEY)


def test_ciphertext_round_trips_and_hides_the_value():
    c = cipher()
    sealed = c.encrypt("900123456", table="customers", column="ssn")
    assert "900123456" not in sealed
    assert c.decrypt(sealed, table="customers", column="ssn") == "900123456"
    assert c.encrypt("900123456", table="customers", column="ssn") != sealed  # fresh nonce each time


def test_ciphertext_cannot_be_moved_to_another_column():
    c = cipher()
    sealed = c.encrypt("900123456", table="customers", column="ssn")
    with pytest.raises(CryptoError):
        c.decrypt(sealed, table="bank_accounts", column="account_number")


def test_tampered_ciphertext_is_rejected():
    c = cipher()
    key_id, _, payload = c.encrypt("900123456", table="customers", column="ssn").partition(":")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    with pytest.raises(CryptoError):
        c.decrypt(f"{key_id}:{flipped}", table="customers", column="ssn")


def test_keys_rotate_old_ciphertexts_still_decrypt():
    old = cipher(f"v1:{DEV_FIELD_ENCRYPTION_KEY}")
    sealed = old.encrypt("900123456", table="customers", column="ssn")
    rotated = cipher(f"v2:{OTHER_KEY},v1:{DEV_FIELD_ENCRYPTION_KEY}")
    assert rotated.decrypt(sealed, table="customers", column="ssn") == "900123456"
    assert rotated.encrypt("x", table="customers", column="ssn").startswith("v2:")


def test_blind_index_is_stable_keyed_and_purpose_bound():
    c = cipher()
    assert c.blind_index("900123456", purpose="customers.ssn") == c.blind_index("900123456", purpose="customers.ssn")
    assert c.blind_index("900123456", purpose="customers.ssn") != c.blind_index("900123456", purpose="other")
    other = FieldCipher.from_settings(DEV_FIELD_ENCRYPTION_KEY, "another-blind-index-key")
    assert other.blind_index("900123456", purpose="customers.ssn") != c.blind_index("900123456", purpose="customers.ssn")


def test_bad_key_is_a_clear_error():
    with pytest.raises(CryptoError, match="32 bytes"):
        cipher("c2hvcnQ=")


async def test_password_hash_verifies_and_flags_rehash_on_parameter_change():
    cheap, default = Passwords("cheapest"), Passwords("default")
    stored = await cheap.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert await cheap.verify(stored, "correct horse battery staple") == (True, False)
    assert await cheap.verify(stored, "wrong") == (False, False)
    assert await default.verify(stored, "correct horse battery staple") == (True, True)


async def test_unknown_user_still_costs_a_verification():
    passwords = Passwords("cheapest")
    assert await passwords.verify(None, "anything") == (False, False)


def test_tokens_are_long_random_and_stored_as_sha256():
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 43  # 256 bits, base64url
    assert len(token_hash(a)) == 64 and token_hash(a) != a
    assert hashes_match(token_hash(a), token_hash(a)) and not hashes_match(token_hash(a), token_hash(b))
