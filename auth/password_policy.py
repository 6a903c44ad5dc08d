"""Password rules after NIST SP 800-63B: 12 to 128 characters, no composition rules, and not a
common, breached or easily guessed password. The blocklist is zxcvbn's offline lists (common
passwords, words, names), so nothing is looked up over the network."""

from __future__ import annotations

import unicodedata

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn score 3: "safely unguessable: moderate protection from offline slow-hash scenario".
MIN_SCORE = 3


def password_problem(password: str, *, user_inputs: list[str] | tuple[str, ...] = ()) -> str | None:
    """Why `password` is not acceptable, or None. `user_inputs` (user ID, name, email) count as
    known words, so a password built from them is refused."""
    normalized = unicodedata.normalize("NFKC", password)
    if len(normalized) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(normalized) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    # zxcvbn's cost grows with length; past 64 characters the first 64 decide.
    result = zxcvbn(normalized[:64], user_inputs=[i for i in user_inputs if i])
    if any(match.get("dictionary_name") == "passwords" and match.get("token") == normalized[:64].lower()
           for match in result["sequence"]):
        return "This password is on lists of common or breached passwords. Choose another."
    if result["score"] < MIN_SCORE:
        return "This password is too easy to guess. A few unrelated words make a strong one."
    return None
