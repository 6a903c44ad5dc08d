"""Vehicle identification numbers (49 CFR 565.15 / ISO 3779, North-American check digit).

A VIN has 17 characters from the digits and the letters without I, O and Q (too easily read as
1 and 0). Position 9 is a check digit: each character's value times its position's weight,
summed, mod 11, with 10 written "X". Pure: used by origination and by the demo data.
"""

from __future__ import annotations

VIN_LENGTH = 17
_VIN_VALUES = {
    **{str(digit): digit for digit in range(10)},
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
    "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
    "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
}  # I, O and Q never appear in a VIN
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
CHECK_DIGIT_POSITION = 9  # 1-based, as the standard counts


def normalize_vin(raw: str) -> str:
    """Upper-case, without surrounding or inner spaces (people type VINs in groups)."""
    return "".join(raw.split()).upper()


def vin_characters_problem(vin: str) -> str | None:
    """Why `vin` cannot be a VIN at all (length, characters), or None. The check digit is separate."""
    if len(vin) != VIN_LENGTH:
        return f"a VIN has {VIN_LENGTH} characters, not {len(vin)}"
    wrong = sorted({char for char in vin.upper() if char not in _VIN_VALUES})
    if wrong:
        return f"{', '.join(repr(c) for c in wrong)} cannot appear in a VIN (never I, O or Q)"
    return None


def vin_check_digit(vin: str) -> str:
    """The check digit (position 9) for a 17-character VIN: weighted sum mod 11, 10 written 'X'.

    Position 9 has weight 0, so its current content does not matter.
    """
    if len(vin) != VIN_LENGTH:
        raise ValueError(f"a VIN has {VIN_LENGTH} characters, not {len(vin)}")
    try:
        total = sum(_VIN_VALUES[char] * weight for char, weight in zip(vin.upper(), _VIN_WEIGHTS, strict=True))
    except KeyError as missing:
        raise ValueError(f"{missing.args[0]!r} cannot appear in a VIN") from None
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_is_valid(vin: str) -> bool:
    """17 allowed characters and a matching check digit."""
    try:
        return vin[CHECK_DIGIT_POSITION - 1].upper() == vin_check_digit(vin)
    except (ValueError, IndexError):
        return False
