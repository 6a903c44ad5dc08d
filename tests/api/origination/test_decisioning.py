"""Automated decisioning: each outcome from the sandbox bureau's test SSNs on the standard deal."""

from __future__ import annotations

from models.enums import ApplicationStatus, DecisionOutcome
from tests.api.origination.decision_builders import (
    BORDERLINE, EXCELLENT, FRAUD_ALERT, FROZEN, GOOD, HIGH_DEBT, NEAR_PRIME, SUBPRIME, THIN_FILE, UNAVAILABLE,
    dealer_with_user, decided,
)


async def test_each_test_ssn_gets_its_documented_outcome(services):
    dealership, user = await dealer_with_user(services, "dealer1")
    expected = {
        EXCELLENT: ApplicationStatus.APPROVED, GOOD: ApplicationStatus.APPROVED,
        NEAR_PRIME: ApplicationStatus.APPROVED_WITH_CONDITIONS, BORDERLINE: ApplicationStatus.REFERRED,
        SUBPRIME: ApplicationStatus.DECLINED, HIGH_DEBT: ApplicationStatus.COUNTER_OFFERED,
        THIN_FILE: ApplicationStatus.REFERRED, FROZEN: ApplicationStatus.REFERRED,
        FRAUD_ALERT: ApplicationStatus.REFERRED, UNAVAILABLE: ApplicationStatus.REFERRED,
    }
    got = {}
    for ssn in expected:
        application, decision = await decided(services, dealership, user, ssn)
        got[ssn] = application.status
        print(ssn, decision.outcome, decision.rate_tier, decision.ratios, decision.conditions, decision.counter_offer,
              decision.reasons)
    assert got == expected
