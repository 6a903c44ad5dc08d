"""The ABA routing check digit and the account number's shape."""

import pytest

from resolvers.payments.bank_validation import (
    account_number_valid,
    digits_only,
    routing_number_valid,
)


@pytest.mark.parametrize("routing", ["011000015", "021000021", "111000025", "122105155", "000000000"])
def test_valid_routing_numbers(routing):
    assert routing_number_valid(routing)


@pytest.mark.parametrize("routing", ["011000016", "021000020", "12345678", "0110000150", "01100001a", "",
                                     "０１１０００015"])
def test_invalid_routing_numbers(routing):
    assert not routing_number_valid(routing)


def test_every_wrong_check_digit_is_refused():
    valid = "021000021"
    for digit in "0123456789":
        candidate = valid[:8] + digit
        assert routing_number_valid(candidate) == (candidate == valid)


@pytest.mark.parametrize("account,ok", [("1234", True), ("12345678901234567", True), ("123", False),
                                         ("123456789012345678", False), ("12ab", False), ("", False),
                                         ("１２３４", False)])
def test_account_numbers(account, ok):
    assert account_number_valid(account) is ok


def test_separators_are_dropped():
    assert digits_only(" 0110-00015 ") == "011000015"
    assert digits_only("") == ""
