"""Decision rule sets: the rules automated decisioning applies, held as data (JSON) in
DecisionRuleSet rows. One row is active; loading a new set adds a version and activates it, so
every decision keeps pointing at the exact rules it was made with.

DEFAULT_RULES is what a fresh install uses (written to the table by the first decision when the
table is empty). Its shape is checked by finance.underwriting.parse_rules; `autofin rule-set show`
prints the active set and `autofin rule-set load FILE` loads another.
"""

from __future__ import annotations

import copy
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from auth import audit
from auth.audit import Origin
from finance.underwriting import Rules, parse_rules
from models import DecisionRuleSet
from service.clock import Clock, SystemClock

DEFAULT_DESCRIPTION = "Default rules (autofin)"

DEFAULT_RULES: dict[str, Any] = {
    # Score tiers, highest first: pricing (loan APR in percent, lease money factor) and ratio limits.
    "tiers": [
        {"name": "A+", "min_score": 740, "apr": "5.49", "money_factor": "0.00150",
         "max_ltv": "1.30", "max_pti": "0.20", "max_dti": "0.50"},
        {"name": "A", "min_score": 680, "apr": "7.49", "money_factor": "0.00220",
         "max_ltv": "1.20", "max_pti": "0.18", "max_dti": "0.47"},
        {"name": "B", "min_score": 620, "apr": "11.49", "money_factor": "0.00330",
         "max_ltv": "1.10", "max_pti": "0.15", "max_dti": "0.45"},
    ],
    # Scores below every tier but in this band go to an underwriter; below it, declined.
    "referral_band": {"min_score": 580, "max_score": 619},
    # Whose score prices the deal when there is a co-applicant: HIGHEST or PRIMARY.
    "score_basis": "HIGHEST",
    # No score at all (thin file): REFERRED or DECLINED, with this reason.
    "no_score": {"action": "REFERRED", "reason": "INSUFFICIENT_CREDIT_HISTORY"},
    # Alerts on a file that send the application to an underwriter, with the reason shown.
    "refer_on_alerts": {"FROZEN": "FROZEN_FILE", "FRAUD_ALERT": "FRAUD_ALERT",
                        "BUREAU_UNAVAILABLE": "BUREAU_UNAVAILABLE"},
    "derogatory_statuses": ["LATE_60", "LATE_90", "COLLECTION", "CHARGED_OFF"],
    "max_derogatory_tradelines": 1,
    # Longest term by the vehicle's age in model years (older than the last row: not financed).
    "max_term_by_vehicle_age": [
        {"max_age": 1, "max_term": 84}, {"max_age": 3, "max_term": 75}, {"max_age": 6, "max_term": 72},
        {"max_age": 8, "max_term": 60}, {"max_age": 10, "max_term": 48},
    ],
    "max_lease_term": 48,
    "max_vehicle_mileage": 150000,
    # Conditions of an approval: each applies when its fact compares as given.
    "conditions": [
        {"code": "PROOF_OF_INCOME", "when": {"fact": "score", "below": 680}},
        {"code": "PROOF_OF_INCOME", "when": {"fact": "monthly_income", "above": "15000.00"}},
        {"code": "PROOF_OF_EMPLOYMENT", "when": {"fact": "months_employed", "below": 6}},
        {"code": "LARGER_DOWN_PAYMENT", "when": {"fact": "ltv_headroom", "below": "0.05"}},
    ],
    # Texts of conditions and of documents an underwriter may ask for ({amount} and {ltv} are filled in).
    "condition_texts": {
        "PROOF_OF_INCOME": "Proof of income: the two most recent pay stubs or last year's W-2.",
        "PROOF_OF_EMPLOYMENT": "Proof of employment: a letter or a recent pay stub from the employer.",
        "PROOF_OF_RESIDENCE": "Proof of residence: a utility bill or lease in the applicant's name.",
        "PROOF_OF_INSURANCE": "Proof of full-coverage insurance on the vehicle.",
        "PROOF_OF_IDENTITY": "A second government-issued photo ID, checked in person.",
        "BANK_STATEMENTS": "The last three months of bank statements.",
        "LARGER_DOWN_PAYMENT": "A down payment larger by at least ${amount} (loan-to-value at most {ltv}).",
        "REFERENCES": "Four personal references with phone numbers.",
    },
    # Counter-offers: strategies tried in order per product, and their steps and limits.
    "counter_offer": {
        "strategies": {"LOAN": ["TERM", "LARGER_DOWN_PAYMENT", "LOWER_AMOUNT"], "LEASE": ["LARGER_DOWN_PAYMENT"]},
        "terms": [24, 36, 48, 60, 72, 75, 84],
        "down_payment_step": "250.00",
        "max_additional_down": "5000.00",
        "amount_step": "250.00",
        "min_amount": "5000.00",
    },
    # Reasons (adverse action under ECOA / Regulation B, and referral reasons); weight orders them.
    "reasons": {
        "DELINQUENT_OBLIGATIONS": {"text": "Delinquent past or present credit obligations with others", "weight": 95},
        "SCORE_BELOW_MINIMUM": {"text": "Credit score below minimum", "weight": 90},
        "INSUFFICIENT_CREDIT_HISTORY": {"text": "Insufficient credit history", "weight": 85},
        "EXCESSIVE_OBLIGATIONS": {"text": "Excessive obligations in relation to income", "weight": 80},
        "INSUFFICIENT_INCOME": {"text": "Income insufficient for amount of credit requested", "weight": 75},
        "COLLATERAL": {"text": "Value or type of collateral not sufficient", "weight": 70},
        "TERMS_NOT_GRANTED": {"text": "We do not grant credit to any applicant on the terms and conditions you "
                                      "request", "weight": 60},
        "UNABLE_TO_VERIFY_INCOME": {"text": "Unable to verify income", "weight": 55},
        "UNABLE_TO_VERIFY_EMPLOYMENT": {"text": "Unable to verify employment", "weight": 54},
        "LENGTH_OF_EMPLOYMENT": {"text": "Length of employment", "weight": 53},
        "UNABLE_TO_VERIFY_IDENTITY": {"text": "Unable to verify identity", "weight": 52},
        "UNABLE_TO_VERIFY_CREDIT_REFERENCES": {"text": "Unable to verify credit references", "weight": 51},
        "INCOMPLETE_APPLICATION": {"text": "Incomplete application", "weight": 50},
        "REVIEW_BAND": {"text": "Credit score in the range an underwriter reviews", "weight": 40},
        "FROZEN_FILE": {"text": "The credit file is frozen: no credit report could be obtained", "weight": 40},
        "FRAUD_ALERT": {"text": "Fraud alert on the credit file: the applicant's identity must be verified",
                        "weight": 40},
        "BUREAU_UNAVAILABLE": {"text": "The credit report could not be obtained", "weight": 40},
    },
    # Regulation B: the principal reasons; more than four is rarely helpful (official comment 9(b)(2)-1).
    "max_reasons": 4,
}

# Referral reasons: not adverse action, so an underwriter declining must give other reasons.
REFERRAL_REASONS = frozenset({"REVIEW_BAND", "FROZEN_FILE", "FRAUD_ALERT", "BUREAU_UNAVAILABLE"})


def default_rules() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_RULES)


async def active_rule_set(clock: Clock, using_db: BaseDBAsyncClient) -> DecisionRuleSet:
    """The active rule set; on a fresh install (no rule set at all) the default becomes version 1."""
    active = await DecisionRuleSet.filter(active=True).using_db(using_db).order_by("-version").first()
    if active is not None:
        return active
    if not await DecisionRuleSet.all().using_db(using_db).exists():
        try:
            async with in_transaction(using_db.connection_name) as savepoint:  # a concurrent first one may win
                return await DecisionRuleSet.create(version=1, active=True, rules=default_rules(),
                                                    description=DEFAULT_DESCRIPTION, created_at=clock.now(),
                                                    using_db=savepoint)
        except IntegrityError:
            pass
    # Another request may have stored the default since the first look (or just now, winning the race).
    active = await DecisionRuleSet.filter(active=True).using_db(using_db).order_by("-version").first()
    if active is not None:
        return active
    raise LookupError("no decision rule set is active: load one with `autofin rule-set load FILE`")


def rules_of(rule_set: DecisionRuleSet) -> Rules:
    return parse_rules(rule_set.rules)


async def load_rule_set(data: dict[str, Any], *, description: str, clock: Clock,
                        using_db: BaseDBAsyncClient) -> DecisionRuleSet:
    """Check `data` (RulesError when unusable), store it as the next version and make it the only
    active one. The caller's transaction makes the switch atomic."""
    parse_rules(data)
    latest = await DecisionRuleSet.all().using_db(using_db).annotate(top=Max("version")).values_list("top", flat=True)
    version = (latest[0] or 0) + 1 if latest else 1
    await DecisionRuleSet.filter(active=True).using_db(using_db).update(active=False)
    return await DecisionRuleSet.create(version=version, active=True, rules=data, description=description[:255],
                                        created_at=clock.now(), using_db=using_db)


async def describe_active() -> dict[str, Any]:
    """The active rule set for people (the CLI's `rule-set show`); the defaults while none is stored."""
    row = await DecisionRuleSet.filter(active=True).order_by("-version").first()
    if row is None:
        return {"version": None, "description": "none stored yet: the first decision stores these defaults as "
                "version 1", "rules": default_rules()}
    return {"version": row.version, "description": row.description, "created_at": row.created_at.isoformat(),
            "rules": row.rules}


async def load_rule_set_file(data: dict[str, Any], *, description: str, clock: Clock | None = None,
                             origin: Origin | None = None) -> DecisionRuleSet:
    """`autofin rule-set load`: load and activate `data` in one transaction, audited."""
    clock = clock or SystemClock()
    async with in_transaction() as connection:
        row = await load_rule_set(data, description=description, clock=clock, using_db=connection)
        await audit.record("rule_set.loaded", clock=clock, origin=origin or Origin(user_agent="autofin rule-set load"),
                           details={"version": row.version, "rule_set_id": row.id,
                                    "description": row.description[:100]}, using_db=connection)
    return row
