"""finance.underwriting: ratios, tiers, conditions, counter-offers and reasons, all from rules as data."""

from __future__ import annotations

import copy
from decimal import Decimal as D

import pytest

from finance import underwriting as uw
from resolvers.origination.rule_sets import DEFAULT_RULES

RULES = uw.parse_rules(DEFAULT_RULES)
# The standard deal of gateways/bureau_sandbox.py: 32,500.00 gross − 3,000.00 down = 29,500.00 over 60 months.
STANDARD = uw.Structure("LOAN", gross=D("32500.00"), reduction=D("3000.00"), cash_down=D("3000.00"), term_months=60,
                        vehicle_value=D("31000.00"))


def facts(score: int | None = 724, income: str = "6000.00", debt: str = "1620.00", **kwargs) -> uw.Facts:
    return uw.Facts(score=score, monthly_income=D(income), monthly_debt=D(debt), months_employed=36, **kwargs)


def rules_with(**changes) -> uw.Rules:
    data = copy.deepcopy(DEFAULT_RULES)
    data.update(changes)
    return uw.parse_rules(data)


def codes(items) -> list[str]:
    return [item["code"] for item in items]


def test_ratios_are_rounded_to_four_places_from_the_tier_price():
    tier = uw.tier_for(RULES, 724)
    ratios = uw.ratios_for(STANDARD, tier, facts())
    # 29,500.00 at 7.49 % for 60 months: 590.98 a month.
    assert (tier.name, ratios.payment) == ("A", D("590.98"))
    assert ratios.pti == D("0.0985")  # 590.98 / 6000
    assert ratios.dti == D("0.3685")  # (1620 + 590.98) / 6000 = 0.368497 -> 0.3685
    assert ratios.ltv == D("0.9516")  # 29500 / 31000


def test_zero_income_makes_ratios_unbounded_not_a_division_error():
    assert uw.ratio(D("100"), D("0")) == D("9.9999")
    assert uw.ratio(D("0"), D("0")) == D("0.0000")


def test_score_tiers_pick_the_first_tier_reached():
    assert [uw.tier_for(RULES, s).name for s in (850, 740, 739, 680, 620)] == ["A+", "A+", "A", "A", "B"]
    assert uw.tier_for(RULES, 619) is None


def test_max_term_follows_vehicle_age_and_product():
    assert [uw.max_term(RULES, "LOAN", age) for age in (0, 1, 2, 5, 8, 10, 11)] == [84, 84, 75, 72, 60, 48, None]
    assert uw.max_term(RULES, "LEASE", 0) == 48


def test_approved_as_asked():
    verdict = uw.evaluate(RULES, facts(802, debt="1705.00"), STANDARD)
    assert (verdict.outcome, verdict.tier.name, verdict.approved_amount) == ("APPROVED", "A+", D("29500.00"))
    assert verdict.conditions == [] and verdict.reasons == []


def test_conditions_come_from_triggers_in_the_rules():
    near_prime = uw.evaluate(RULES, facts(652, debt="1795.00"), STANDARD)
    assert near_prime.outcome == "APPROVED_WITH_CONDITIONS" and codes(near_prime.conditions) == ["PROOF_OF_INCOME"]
    new_job = uw.evaluate(RULES, uw.Facts(score=724, monthly_income=D("6000.00"), monthly_debt=D("1620.00"),
                                          months_employed=3), STANDARD)
    assert codes(new_job.conditions) == ["PROOF_OF_EMPLOYMENT"]


def test_ltv_near_the_limit_asks_for_a_larger_down_payment_and_lowers_the_approved_amount():
    near_limit = uw.Structure("LOAN", gross=D("32500.00"), reduction=D("3000.00"), cash_down=D("3000.00"),
                              term_months=60, vehicle_value=D("23500.00"))  # LTV 1.2553, tier A+ allows 1.30
    verdict = uw.evaluate(RULES, facts(802), near_limit)
    assert verdict.outcome == "APPROVED_WITH_CONDITIONS"
    assert verdict.conditions == [{"code": "LARGER_DOWN_PAYMENT",
                                   "text": "A down payment larger by at least $125.00 (loan-to-value at most 1.25)."}]
    assert verdict.approved_amount == D("29375.00")  # 1.25 x 23,500


def test_counter_offer_by_a_longer_term():
    verdict = uw.evaluate(RULES, facts(716, debt="2280.00"), STANDARD)  # DTI 0.4785 > 0.47 at 60 months
    assert verdict.outcome == "COUNTER_OFFER"
    assert verdict.counter.as_json(verdict.tier) == {
        "strategy": "TERM", "amount": "29500.00", "term_months": 72, "cash_down": "3000.00", "apr": "7.49",
        "money_factor": None, "payment": "509.92"}
    # A counter-offer is adverse action on what was asked: it carries the reason.
    assert codes(verdict.reasons) == ["EXCESSIVE_OBLIGATIONS"]


def test_counter_offer_by_the_smallest_larger_down_payment_when_ltv_fails():
    underwater = uw.Structure("LOAN", gross=D("32500.00"), reduction=D("3000.00"), cash_down=D("3000.00"),
                              term_months=60, vehicle_value=D("22000.00"))  # LTV 1.3409 > 1.30
    verdict = uw.evaluate(RULES, facts(802), underwater)
    assert verdict.counter.strategy == "LARGER_DOWN_PAYMENT"
    assert (verdict.counter.structure.cash_down, verdict.counter.structure.amount) == (D("4000.00"), D("28500.00"))
    assert verdict.counter.ratios.ltv <= D("1.30")
    # One step less would not pass.
    assert uw.structure_failures(RULES, underwater.with_more_down(D("750.00")), verdict.tier, facts(802))[1] == ["LTV"]
    # Headroom conditions do not apply to a structure found at the limit on purpose.
    assert verdict.conditions == []


def test_counter_offer_by_a_lower_amount_at_the_longest_term():
    verdict = uw.evaluate(RULES, facts(724, income="4000.00", debt="1500.00"), STANDARD)
    assert verdict.counter.strategy == "LOWER_AMOUNT"
    assert (verdict.counter.structure.amount, verdict.counter.structure.term_months) == (D("24750.00"), 84)
    assert verdict.counter.ratios.dti <= D("0.47")
    assert uw.structure_failures(RULES, verdict.counter.structure.with_amount(D("25000.00")), verdict.tier,
                                 facts(724, income="4000.00", debt="1500.00"))[1] == ["DTI"]


def test_a_term_too_long_for_the_vehicle_is_countered_with_the_longest_allowed():
    used = uw.Structure("LOAN", gross=D("20500.00"), reduction=D("3000.00"), cash_down=D("3000.00"), term_months=72,
                        vehicle_value=D("19000.00"))
    verdict = uw.evaluate(RULES, facts(724, vehicle_age=7), used)  # age 7: at most 60 months
    assert verdict.outcome == "COUNTER_OFFER" and verdict.counter.structure.term_months == 60
    assert codes(verdict.reasons) == ["TERMS_NOT_GRANTED"]


def test_declines_give_the_principal_reasons_heaviest_first():
    verdict = uw.evaluate(RULES, facts(538, debt="1510.00", derogatory_tradelines=3), STANDARD)
    assert verdict.outcome == "DECLINED"
    assert codes(verdict.reasons) == ["DELINQUENT_OBLIGATIONS", "SCORE_BELOW_MINIMUM"]
    broke = uw.evaluate(RULES, facts(538, income="1500.00", derogatory_tradelines=3), STANDARD)
    assert codes(broke.reasons) == ["DELINQUENT_OBLIGATIONS", "SCORE_BELOW_MINIMUM", "EXCESSIVE_OBLIGATIONS",
                                    "INSUFFICIENT_INCOME"]  # at most max_reasons (4)


def test_no_counter_offer_when_none_passes():
    verdict = uw.evaluate(RULES, facts(724, income="2000.00"), STANDARD)
    assert verdict.outcome == "DECLINED" and verdict.counter is None
    assert codes(verdict.reasons) == ["EXCESSIVE_OBLIGATIONS", "INSUFFICIENT_INCOME"]


def test_a_vehicle_too_old_is_declined_for_its_collateral():
    verdict = uw.evaluate(RULES, facts(802, vehicle_age=12), STANDARD)
    assert verdict.outcome == "DECLINED" and codes(verdict.reasons) == ["COLLATERAL"]


def test_referrals_from_alerts_the_review_band_and_no_score():
    assert codes(uw.evaluate(RULES, facts(741, alerts=("FRAUD_ALERT",)), STANDARD).reasons) == ["FRAUD_ALERT"]
    assert codes(uw.evaluate(RULES, facts(604), STANDARD).reasons) == ["REVIEW_BAND"]
    thin = uw.evaluate(RULES, facts(None), STANDARD)
    assert (thin.outcome, codes(thin.reasons)) == ("REFERRED", ["INSUFFICIENT_CREDIT_HISTORY"])
    assert thin.ratios is not None  # priced at the lowest tier, so the underwriter sees them


def test_rules_are_data_changing_them_changes_the_decision():
    strict = rules_with(no_score={"action": "DECLINED", "reason": "INSUFFICIENT_CREDIT_HISTORY"},
                        referral_band=None)
    assert uw.evaluate(strict, facts(None), STANDARD).outcome == "DECLINED"
    assert uw.evaluate(strict, facts(604), STANDARD).outcome == "DECLINED"
    tiers = copy.deepcopy(DEFAULT_RULES["tiers"])
    tiers[1]["max_dti"] = "0.50"
    assert uw.evaluate(rules_with(tiers=tiers), facts(716, debt="2280.00"), STANDARD).outcome == "APPROVED"


def test_lease_priced_with_the_money_factor():
    lease = uw.Structure("LEASE", gross=D("38000.00"), reduction=D("2000.00"), cash_down=D("2000.00"), term_months=36,
                         vehicle_value=D("38000.00"), residual_value=D("23200.00"), tax_rate=D("0.07"))
    verdict = uw.evaluate(RULES, facts(802), lease)
    # finance-notes example 2 at the A+ money factor 0.00150: 355.56 + 88.80 rent = 444.36, + 7 % tax 31.11.
    assert (verdict.outcome, verdict.ratios.payment) == ("APPROVED", D("475.47"))


def test_combined_facts_add_incomes_and_count_housing_once():
    files = [
        uw.ApplicantFile(primary=True, score=604, alerts=(), bureau_debt=D("460.00"), mortgage_payment=D("0.00"),
                         tradeline_statuses=("CURRENT",), monthly_income=D("3000.00"), housing_payment=D("1200.00"),
                         months_employed=24),
        uw.ApplicantFile(primary=False, score=802, alerts=(), bureau_debt=D("1905.00"), mortgage_payment=D("1400.00"),
                         tradeline_statuses=("LATE_60",), monthly_income=D("5000.00"), housing_payment=D("1400.00"),
                         months_employed=60),
    ]
    combined = uw.combined_facts(RULES, files, vehicle_age=0, vehicle_mileage=10)
    assert combined.score == 802 and combined.monthly_income == D("8000.00")
    assert combined.monthly_debt == D("3565.00")  # 460 + 1200 rent + 1905 (the mortgage is on the report)
    assert (combined.derogatory_tradelines, combined.months_employed) == (1, 24)
    primary = uw.combined_facts(rules_with(score_basis="PRIMARY"), files, vehicle_age=0, vehicle_mileage=0)
    assert primary.score == 604


@pytest.mark.parametrize("change, message", [
    ({"tiers": []}, "at least one tier"),
    ({"tiers": [{"name": "X", "min_score": 700, "apr": 5.5, "money_factor": "0.001", "max_ltv": "1",
                 "max_pti": "1", "max_dti": "1"}]}, "decimal strings"),
    ({"tiers": [{"name": "X", "min_score": 700, "apr": "5.12345", "money_factor": "0.001", "max_ltv": "1",
                 "max_pti": "1", "max_dti": "1"}]}, "4 decimal places"),
    ({"conditions": [{"code": "PROOF_OF_INCOME", "when": {"fact": "shoe_size", "above": "1"}}]}, "unknown fact"),
    ({"conditions": [{"code": "NEW_CODE", "when": {"fact": "score", "below": 600}}]}, "no text"),
    ({"no_score": {"action": "MAYBE", "reason": "INSUFFICIENT_CREDIT_HISTORY"}}, "no_score.action"),
    ({"reasons": {}}, "no text for"),
    ({"counter_offer": {**DEFAULT_RULES["counter_offer"], "strategies": {"LOAN": ["PRAY"]}}}, "strategies"),
])
def test_parse_rules_names_what_is_wrong(change, message):
    data = copy.deepcopy(DEFAULT_RULES)
    data.update(change)
    with pytest.raises(uw.RulesError, match=message):
        uw.parse_rules(data)
