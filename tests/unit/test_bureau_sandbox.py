"""The sandbox credit bureau: documented test SSNs, deterministic files for any other SSN."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from gateways.bureau import FRAUD_ALERT, FROZEN, TRADELINE_KINDS, TRADELINE_STATUSES, BureauUnavailable, bureau_named
from gateways.bureau_sandbox import PROFILES, TEST_SSNS, SandboxBureau, profile_of

WHO = dict(first_name="Pat", last_name="Doe", date_of_birth=date(1985, 4, 12), postal_code="78701")


async def pull(ssn: str):
    return await SandboxBureau().pull(ssn, **WHO)


@pytest.mark.parametrize("ssn, score, debt, alerts", [
    ("500-10-0780", 802, "505.00", ()),
    ("500-10-0720", 724, "420.00", ()),
    ("500-10-0650", 652, "595.00", ()),
    ("500-10-0610", 604, "460.00", ()),
    ("500-10-0540", 538, "310.00", ()),
    ("500-10-0004", 716, "1080.00", ()),
    ("500-10-0001", None, "35.00", ()),
    ("500-10-0002", None, "0.00", (FROZEN,)),
    ("500-10-0003", 741, "380.00", (FRAUD_ALERT,)),
])
async def test_documented_test_ssns(ssn, score, debt, alerts):
    report = await pull(ssn)
    assert (report.score, report.monthly_debt, report.alerts) == (score, D(debt), alerts)
    assert report.bureau == "sandbox" and report.reference.startswith("SBX-")


async def test_the_outage_ssn_raises_a_bureau_error():
    with pytest.raises(BureauUnavailable):
        await pull("500100005")


async def test_tradelines_are_realistic():
    for ssn in TEST_SSNS:
        if TEST_SSNS[ssn] == "UNAVAILABLE":
            continue
        for line in (await pull(ssn)).tradelines:
            assert line.kind in TRADELINE_KINDS and line.status in TRADELINE_STATUSES
            assert line.balance >= 0 and line.monthly_payment >= 0 and line.creditor
    subprime = await pull("500100540")
    assert {line.status for line in subprime.tradelines} == {"COLLECTION", "CHARGED_OFF", "LATE_60"}


async def test_any_other_ssn_gets_the_same_file_every_time():
    first, second = await pull("123-45-6789"), await pull("123456789")
    assert (first.score, first.tradelines, first.alerts) == (second.score, second.tradelines, second.alerts)
    assert profile_of("123456789") in PROFILES
    # ... and different SSNs are spread over several profiles.
    assert len({profile_of(f"{n:09d}") for n in range(100000000, 100000060)}) >= 4


async def test_the_reference_does_not_reveal_the_ssn():
    first, second = await pull("500100780"), await pull("500100780")
    assert first.reference != second.reference  # random per pull, not a (reversible) hash of the SSN


async def test_a_malformed_ssn_is_refused():
    with pytest.raises(ValueError):
        await pull("12345")


def test_bureau_named_picks_the_sandbox_and_refuses_unknown_names():
    assert bureau_named("sandbox").name == "sandbox"
    with pytest.raises(ValueError, match="AUTOFIN_CREDIT_BUREAU"):
        bureau_named("equifax")
