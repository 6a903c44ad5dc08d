"""finance/vin.py: VIN characters and the North-American check digit (49 CFR 565.15)."""

import pytest

from finance.vin import normalize_vin, vin_characters_problem, vin_check_digit, vin_is_valid


def test_check_digit_of_known_vins():
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"  # the textbook example: remainder 10 is written X
    assert vin_check_digit("11111111111111111") == "1"
    assert vin_check_digit("1HGCM82633A004352") == "3"


def test_valid_and_invalid_check_digits():
    assert vin_is_valid("1HGCM82633A004352")
    assert vin_is_valid("1m8gdm9axkp042788")  # case does not matter
    assert not vin_is_valid("1HGCM82643A004352")  # one digit changed at position 9
    assert not vin_is_valid("1HGCM82633A004353")  # one digit changed elsewhere
    assert not vin_is_valid("1HGCM82633A00435")  # too short
    assert not vin_is_valid("1HGCM82633A00435O")  # O is never in a VIN


@pytest.mark.parametrize(("vin", "reason"), [
    ("1HGCM82633A00435", "17 characters, not 16"),
    ("1HGCM82633A0043521", "17 characters, not 18"),
    ("1HGCM82633A00435O", "'O' cannot appear"),
    ("IHGCM82633A00435Q", "'I', 'Q' cannot appear"),
])
def test_characters_problems(vin, reason):
    assert reason in vin_characters_problem(vin)


def test_normalizing_removes_spaces_and_upper_cases():
    assert normalize_vin(" 1hgcm8 2633a 004352 ") == "1HGCM82633A004352"
    assert vin_characters_problem(normalize_vin(" 1hgcm8 2633a 004352 ")) is None


def test_demo_data_uses_the_same_check_digit():
    from service import demo_data

    assert demo_data.vin_check_digit is vin_check_digit
