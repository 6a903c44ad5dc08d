"""Field encryption for secrets held at rest (SSNs, bank account numbers).

AES-256-GCM from `cryptography`. Each ciphertext carries the id of the key that made it, so keys
can rotate, and is bound (as associated data) to the table and column it belongs to, so it cannot
be moved to another field. Matching uses a separate HMAC-SHA256 blind index, never decryption.
Stored form: "<key id>:<base64url(nonce || ciphertext || tag)>".
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from auth.tokens import keyed_digest

NONCE_BYTES = 12


class CryptoError(Exception):
    pass


def _decode_key(encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise CryptoError("field encryption key must be base64") from None
    if len(key) != 32:
        raise CryptoError("field encryption key must decode to 32 bytes (AES-256)")
    return key


class FieldCipher:
    def __init__(self, keys: dict[str, str], current_key_id: str, blind_index_key: str) -> None:
        self._keys = {key_id: AESGCM(_decode_key(value)) for key_id, value in keys.items()}
        if current_key_id not in self._keys:
            raise CryptoError(f"current key id {current_key_id!r} has no key")
        self._current = current_key_id
        self._blind_index_key = blind_index_key

    @classmethod
    def from_settings(cls, field_encryption_key: str, blind_index_key: str) -> FieldCipher:
        """AUTOFIN_FIELD_ENCRYPTION_KEY is "key" or "id1:key1,id2:key2" (the first one encrypts)."""
        entries = [item.strip() for item in field_encryption_key.split(",") if item.strip()]
        keys: dict[str, str] = {}
        for index, entry in enumerate(entries):
            key_id, separator, value = entry.partition(":")
            if not separator:  # a bare key (base64 has no ':') gets a positional id
                key_id, value = f"k{index}", entry
            keys[key_id] = value
        return cls(keys, next(iter(keys)), blind_index_key)

    @staticmethod
    def _context(table: str, column: str) -> bytes:
        return f"autofin:{table}.{column}".encode()

    def encrypt(self, plaintext: str, *, table: str, column: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self._current].encrypt(nonce, plaintext.encode("utf-8"), self._context(table, column))
        return f"{self._current}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, stored: str, *, table: str, column: str) -> str:
        key_id, _, payload = stored.partition(":")
        if key_id not in self._keys:
            raise CryptoError(f"no key with id {key_id!r}")
        try:
            raw = base64.urlsafe_b64decode(payload.encode("ascii"))
            plain = self._keys[key_id].decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._context(table, column))
        except (InvalidTag, binascii.Error, ValueError):
            raise CryptoError("ciphertext does not decrypt for this field") from None
        return plain.decode("utf-8")

    def blind_index(self, value: str, *, purpose: str) -> str:
        return keyed_digest(self._blind_index_key, purpose, value)
