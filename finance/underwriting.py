"""Automated credit decisions from rules held as data (pure; no I/O).

The rules are a JSON document (a DecisionRuleSet row; the default is in
resolvers/origination/rule_sets.py). `parse_rules` checks it and `evaluate` applies it to the facts
of an application (bureau score and debts, income, the vehicle) and its deal structure. Every number
that decides an outcome comes from the rules; this module only knows the order of the checks:

1. An alert on a file named in `refer_on_alerts` (frozen, fraud alert, bureau unavailable) refers.
2. No score (thin file): `no_score.action` (REFER or DECLINE) with its reason.
3. The score picks the first tier whose `min_score` it reaches; a score in `referral_band` refers;
   a score below every tier and the band declines (SCORE_BELOW_MINIMUM).
4. Checks against the tier (or, to explain a decline or referral, the lowest tier): payment-to-income
   (PTI), debt-to-income (DTI, with the new payment), loan-to-value (LTV), the term against the
   maximum for the vehicle's age and product, the vehicle's age and mileage, derogatory tradelines.
5. All pass: APPROVED, or APPROVED_WITH_CONDITIONS when a condition trigger matches.
   Only structure checks fail (PTI, DTI, LTV, term): the counter-offer search tries the rules'
   strategies in order (another term within the maximum, a larger down payment, a lower amount at
   the longest term) and offers the first structure that passes: COUNTER_OFFER.
   Otherwise DECLINED with the failed checks' adverse-action reasons, heaviest first, at most
   `max_reasons` (Regulation B, 12 CFR 1002.9(b)(2): the principal reasons).

Ratios are rounded to 4 places (half up) before they are compared, so the figures shown with a
decision are exactly the ones it was made on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from finance.lease import lease_payment
from finance.loan import level_payment
from finance.money import ZERO

RATIO_PLACES = Decimal("0.0001")

APPROVED = "APPROVED"
APPROVED_WITH_CONDITIONS = "APPROVED_WITH_CONDITIONS"
COUNTER_OFFER = "COUNTER_OFFER"
DECLINED = "DECLINED"
REFERRED = "REFERRED"

LOAN = "LOAN"
LEASE = "LEASE"

# The reasons the evaluation itself can give; each must have a text and a weight in the rules.
# Underwriters may also use any other code the rules' `reasons` table defines.
SCORE_BELOW_MINIMUM = "SCORE_BELOW_MINIMUM"
INSUFFICIENT_CREDIT_HISTORY = "INSUFFICIENT_CREDIT_HISTORY"
DELINQUENT_OBLIGATIONS = "DELINQUENT_OBLIGATIONS"
EXCESSIVE_OBLIGATIONS = "EXCESSIVE_OBLIGATIONS"
INSUFFICIENT_INCOME = "INSUFFICIENT_INCOME"
COLLATERAL = "COLLATERAL"
TERMS_NOT_GRANTED = "TERMS_NOT_GRANTED"
REVIEW_BAND = "REVIEW_BAND"
REQUIRED_REASONS = (SCORE_BELOW_MINIMUM, INSUFFICIENT_CREDIT_HISTORY, DELINQUENT_OBLIGATIONS, EXCESSIVE_OBLIGATIONS,
                    INSUFFICIENT_INCOME, COLLATERAL, TERMS_NOT_GRANTED, REVIEW_BAND)

# Checks a different structure can fix (and so may lead to a counter-offer) and the reason each gives.
STRUCTURE_CHECKS = {"PTI": INSUFFICIENT_INCOME, "DTI": EXCESSIVE_OBLIGATIONS, "LTV": COLLATERAL,
                    "TERM": TERMS_NOT_GRANTED}
STRATEGIES = ("TERM", "LARGER_DOWN_PAYMENT", "LOWER_AMOUNT")
OPERATORS = ("above", "below", "at_least", "at_most")
FACTS = ("score", "monthly_income", "months_employed", "vehicle_age", "vehicle_mileage", "pti", "dti", "ltv",
         "pti_headroom", "dti_headroom", "ltv_headroom", "derogatory_tradelines")


class RulesError(ValueError):
    """The rules document is not usable; the message says where."""


# -- the rules ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tier:
    name: str
    min_score: int
    apr: Decimal  # loans, percent
    money_factor: Decimal  # leases
    max_ltv: Decimal
    max_pti: Decimal
    max_dti: Decimal


@dataclass(frozen=True)
class ConditionRule:
    code: str
    fact: str
    operator: str
    value: Decimal
    text: str

    def matches(self, facts: dict[str, Decimal | None]) -> bool:
        actual = facts.get(self.fact)
        if actual is None:
            return False
        return {"above": actual > self.value, "below": actual < self.value,
                "at_least": actual >= self.value, "at_most": actual <= self.value}[self.operator]


@dataclass(frozen=True)
class CounterRules:
    strategies: dict[str, tuple[str, ...]]  # product -> strategies in the order tried
    terms: tuple[int, ...]
    down_payment_step: Decimal
    max_additional_down: Decimal
    amount_step: Decimal
    min_amount: Decimal


@dataclass(frozen=True)
class Rules:
    tiers: tuple[Tier, ...]  # highest min_score first
    referral_band: tuple[int, int] | None
    score_basis: str  # HIGHEST or PRIMARY
    no_score_action: str
    no_score_reason: str
    refer_on_alerts: dict[str, str]  # alert -> reason code
    derogatory_statuses: frozenset[str]
    max_derogatory_tradelines: int
    max_term_by_vehicle_age: tuple[tuple[int, int], ...]  # (max age in years, max term), ascending age
    max_lease_term: int
    max_vehicle_mileage: int
    conditions: tuple[ConditionRule, ...]
    counter: CounterRules
    reasons: dict[str, tuple[str, int]]  # code -> (text, weight)
    max_reasons: int

    def reason(self, code: str) -> dict[str, str]:
        return {"code": code, "text": self.reasons[code][0]}

    def ordered_reasons(self, codes: list[str]) -> list[dict[str, str]]:
        """The principal reasons: distinct, heaviest first, at most max_reasons."""
        unique = list(dict.fromkeys(codes))
        unique.sort(key=lambda code: -self.reasons[code][1])
        return [self.reason(code) for code in unique[:self.max_reasons]]


def _get(data: dict, key: str, where: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise RulesError(f"{where}: missing {key!r}")
    return data[key]


def _dec(value: Any, where: str) -> Decimal:
    if isinstance(value, (bool, float)) or not isinstance(value, (int, str)):
        raise RulesError(f"{where}: write numbers as decimal strings or integers, got {value!r}")
    try:
        result = Decimal(value)
    except ArithmeticError:
        raise RulesError(f"{where}: not a number: {value!r}") from None
    if not result.is_finite() or result < 0:
        raise RulesError(f"{where}: must be a non-negative number, got {value!r}")
    return result


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RulesError(f"{where}: must be a non-negative whole number, got {value!r}")
    return value


def _places(value: Decimal, places: int, where: str) -> Decimal:
    """A rate with no more places than a decision stores (APR 4, money factor 6)."""
    if value.as_tuple().exponent < -places:
        raise RulesError(f"{where}: at most {places} decimal places, got {value}")
    return value


def _tier(data: dict, where: str) -> Tier:
    name = str(_get(data, "name", where))
    if not 1 <= len(name) <= 16:
        raise RulesError(f"{where}.name: 1 to 16 characters")
    return Tier(name=name, min_score=_int(_get(data, "min_score", where), where),
                apr=_places(_dec(_get(data, "apr", where), f"{where}.apr"), 4, f"{where}.apr"),
                money_factor=_places(_dec(_get(data, "money_factor", where), f"{where}.money_factor"), 6,
                                     f"{where}.money_factor"),
                max_ltv=_dec(_get(data, "max_ltv", where), f"{where}.max_ltv"),
                max_pti=_dec(_get(data, "max_pti", where), f"{where}.max_pti"),
                max_dti=_dec(_get(data, "max_dti", where), f"{where}.max_dti"))


def _condition(data: dict, texts: dict, where: str) -> ConditionRule:
    code = str(_get(data, "code", where))
    when = _get(data, "when", where)
    fact = _get(when, "fact", f"{where}.when")
    if fact not in FACTS:
        raise RulesError(f"{where}.when: unknown fact {fact!r} (known: {', '.join(FACTS)})")
    operators = [op for op in OPERATORS if op in when]
    if len(operators) != 1:
        raise RulesError(f"{where}.when: give exactly one of {', '.join(OPERATORS)}")
    if code not in texts:
        raise RulesError(f"{where}: condition {code!r} has no text in condition_texts")
    return ConditionRule(code=code, fact=fact, operator=operators[0],
                         value=_dec(when[operators[0]], f"{where}.when.{operators[0]}"), text=str(texts[code]))


def _counter(data: dict) -> CounterRules:
    where = "counter_offer"
    strategies = _get(data, "strategies", where)
    if not isinstance(strategies, dict):
        raise RulesError(f"{where}.strategies: a map from product (LOAN, LEASE) to a list of strategies")
    for product, names in strategies.items():
        if product not in (LOAN, LEASE) or not isinstance(names, list) or any(n not in STRATEGIES for n in names):
            raise RulesError(f"{where}.strategies.{product}: a list of {', '.join(STRATEGIES)}")
    terms = tuple(sorted(_int(t, f"{where}.terms") for t in _get(data, "terms", where)))
    return CounterRules(
        strategies={product: tuple(names) for product, names in strategies.items()}, terms=terms,
        down_payment_step=_dec(_get(data, "down_payment_step", where), f"{where}.down_payment_step"),
        max_additional_down=_dec(_get(data, "max_additional_down", where), f"{where}.max_additional_down"),
        amount_step=_dec(_get(data, "amount_step", where), f"{where}.amount_step"),
        min_amount=_dec(_get(data, "min_amount", where), f"{where}.min_amount"),
    )


def parse_rules(data: dict) -> Rules:
    """Check a rules document and turn it into Rules; RulesError names what is wrong."""
    if not isinstance(data, dict):
        raise RulesError("the rules must be a JSON object")
    tiers = tuple(sorted((_tier(t, f"tiers[{i}]") for i, t in enumerate(_get(data, "tiers", "rules"))),
                         key=lambda tier: -tier.min_score))
    if not tiers:
        raise RulesError("tiers: at least one tier")
    band = data.get("referral_band")
    referral = None
    if band is not None:
        referral = (_int(_get(band, "min_score", "referral_band"), "referral_band.min_score"),
                    _int(_get(band, "max_score", "referral_band"), "referral_band.max_score"))
    reasons = {}
    for code, entry in _get(data, "reasons", "rules").items():
        reasons[code] = (str(_get(entry, "text", f"reasons.{code}")),
                         _int(_get(entry, "weight", f"reasons.{code}"), f"reasons.{code}.weight"))
    missing = [code for code in REQUIRED_REASONS if code not in reasons]
    no_score = _get(data, "no_score", "rules")
    alerts = dict(_get(data, "refer_on_alerts", "rules"))
    missing += [code for code in [no_score.get("reason"), *alerts.values()] if code not in reasons]
    if missing:
        raise RulesError(f"reasons: no text for {', '.join(str(code) for code in missing)}")
    if no_score.get("action") not in (REFERRED, DECLINED):
        raise RulesError("no_score.action: REFERRED or DECLINED")
    texts = _get(data, "condition_texts", "rules")
    ages = tuple(sorted((_int(_get(row, "max_age", "max_term_by_vehicle_age"), "max_age"),
                         _int(_get(row, "max_term", "max_term_by_vehicle_age"), "max_term"))
                        for row in _get(data, "max_term_by_vehicle_age", "rules")))
    basis = data.get("score_basis", "HIGHEST")
    if basis not in ("HIGHEST", "PRIMARY"):
        raise RulesError("score_basis: HIGHEST or PRIMARY")
    return Rules(
        tiers=tiers, referral_band=referral, score_basis=basis, no_score_action=no_score["action"],
        no_score_reason=no_score["reason"], refer_on_alerts=alerts,
        derogatory_statuses=frozenset(_get(data, "derogatory_statuses", "rules")),
        max_derogatory_tradelines=_int(_get(data, "max_derogatory_tradelines", "rules"), "max_derogatory_tradelines"),
        max_term_by_vehicle_age=ages,
        max_lease_term=_int(_get(data, "max_lease_term", "rules"), "max_lease_term"),
        max_vehicle_mileage=_int(_get(data, "max_vehicle_mileage", "rules"), "max_vehicle_mileage"),
        conditions=tuple(_condition(c, texts, f"conditions[{i}]") for i, c in enumerate(_get(data, "conditions",
                                                                                           "rules"))),
        counter=_counter(_get(data, "counter_offer", "rules")),
        reasons=reasons, max_reasons=_int(data.get("max_reasons", 4), "max_reasons") or 4,
    )


# -- the application ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Structure:
    """A deal: gross = cash price + fees + taxes + trade-in payoff; reduction = cash down + trade-in
    value. The amount financed (loan) or adjusted capitalized cost (lease) is gross − reduction."""

    product: str
    gross: Decimal
    reduction: Decimal
    cash_down: Decimal
    term_months: int
    vehicle_value: Decimal
    residual_value: Decimal = ZERO  # leases
    tax_rate: Decimal = ZERO  # leases: monthly use tax on the payment, a fraction

    @property
    def amount(self) -> Decimal:
        return self.gross - self.reduction

    def with_more_down(self, extra: Decimal) -> Structure:
        return replace(self, reduction=self.reduction + extra, cash_down=self.cash_down + extra)

    def with_amount(self, amount: Decimal) -> Structure:
        """The same deal financing `amount` (a cheaper vehicle or more equity: the dealer restructures)."""
        return replace(self, gross=self.reduction + amount)


@dataclass(frozen=True)
class Facts:
    """What the bureau and the application say about the applicants and the vehicle."""

    score: int | None
    monthly_income: Decimal
    monthly_debt: Decimal  # bureau obligations plus housing not on the report
    derogatory_tradelines: int = 0
    alerts: tuple[str, ...] = ()
    months_employed: int = 0
    vehicle_age: int = 0
    vehicle_mileage: int = 0


@dataclass(frozen=True)
class Ratios:
    payment: Decimal
    pti: Decimal
    dti: Decimal
    ltv: Decimal

    def as_json(self) -> dict[str, str]:
        return {"payment": str(self.payment), "pti": str(self.pti), "dti": str(self.dti), "ltv": str(self.ltv)}


@dataclass(frozen=True)
class CounterOffer:
    strategy: str
    structure: Structure
    ratios: Ratios

    def as_json(self, tier: Tier) -> dict[str, Any]:
        s = self.structure
        return {"strategy": self.strategy, "amount": str(s.amount), "term_months": s.term_months,
                "cash_down": str(s.cash_down), "apr": str(tier.apr) if s.product == LOAN else None,
                "money_factor": str(tier.money_factor) if s.product == LEASE else None,
                "payment": str(self.ratios.payment)}


@dataclass(frozen=True)
class Verdict:
    outcome: str
    tier: Tier | None  # the tier that priced it (None: no tier matched)
    structure: Structure
    ratios: Ratios | None
    conditions: list[dict[str, str]] = field(default_factory=list)
    counter: CounterOffer | None = None
    reasons: list[dict[str, str]] = field(default_factory=list)
    approved_amount: Decimal | None = None


def ratio(part: Decimal, whole: Decimal) -> Decimal:
    """part / whole to 4 places; an income or value of zero makes any positive ratio unbounded (9.9999)."""
    if whole <= ZERO:
        return Decimal("9.9999") if part > ZERO else Decimal("0.0000")
    return min((part / whole).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP), Decimal("9.9999"))


def payment_for(structure: Structure, tier: Tier) -> Decimal:
    """The monthly payment of the structure priced at the tier (a lease payment includes its tax)."""
    if structure.product == LEASE:
        return lease_payment(structure.gross, structure.reduction, structure.residual_value, tier.money_factor,
                             structure.term_months, structure.tax_rate).monthly_payment
    return level_payment(structure.amount, tier.apr, structure.term_months)


def ratios_for(structure: Structure, tier: Tier, facts: Facts) -> Ratios:
    payment = payment_for(structure, tier)
    return Ratios(payment=payment, pti=ratio(payment, facts.monthly_income),
                  dti=ratio(facts.monthly_debt + payment, facts.monthly_income),
                  ltv=ratio(structure.amount, structure.vehicle_value))


def max_term(rules: Rules, product: str, vehicle_age: int) -> int | None:
    """The longest term for the vehicle's age (None: too old to finance at all)."""
    allowed = next((term for age, term in rules.max_term_by_vehicle_age if vehicle_age <= age), None)
    if allowed is None:
        return None
    return min(allowed, rules.max_lease_term) if product == LEASE else allowed


def tier_for(rules: Rules, score: int) -> Tier | None:
    return next((tier for tier in rules.tiers if score >= tier.min_score), None)


def structure_failures(rules: Rules, structure: Structure, tier: Tier, facts: Facts) -> tuple[Ratios, list[str]]:
    """The ratios and which structure checks (PTI, DTI, LTV, TERM) fail at this tier."""
    ratios = ratios_for(structure, tier, facts)
    longest = max_term(rules, structure.product, facts.vehicle_age)
    failed = [name for name, bad in (("PTI", ratios.pti > tier.max_pti), ("DTI", ratios.dti > tier.max_dti),
                                     ("LTV", ratios.ltv > tier.max_ltv),
                                     ("TERM", longest is not None and structure.term_months > longest)) if bad]
    return ratios, failed


def fact_values(facts: Facts, tier: Tier | None, ratios: Ratios | None) -> dict[str, Decimal | None]:
    values: dict[str, Decimal | None] = {
        "score": Decimal(facts.score) if facts.score is not None else None,
        "monthly_income": facts.monthly_income, "months_employed": Decimal(facts.months_employed),
        "vehicle_age": Decimal(facts.vehicle_age), "vehicle_mileage": Decimal(facts.vehicle_mileage),
        "derogatory_tradelines": Decimal(facts.derogatory_tradelines),
    }
    if ratios is not None:
        values.update(pti=ratios.pti, dti=ratios.dti, ltv=ratios.ltv)
        if tier is not None:
            values.update(pti_headroom=tier.max_pti - ratios.pti, dti_headroom=tier.max_dti - ratios.dti,
                          ltv_headroom=tier.max_ltv - ratios.ltv)
    return values


HEADROOM_FACTS = frozenset({"pti_headroom", "dti_headroom", "ltv_headroom"})


def _conditions(rules: Rules, facts: Facts, structure: Structure, tier: Tier, ratios: Ratios, *,
                headroom: bool = True) -> tuple[list[dict[str, str]], Decimal]:
    """The conditions that apply and the approved amount (lower when a condition on LTV headroom asks
    for more down: the amount that leaves that headroom). A counter-offer is a structure found at the
    limits on purpose, so conditions on headroom (near a limit) apply only to deals approved as asked."""
    values = fact_values(facts, tier, ratios)
    found: list[dict[str, str]] = []
    approved = structure.amount
    for rule in rules.conditions:
        if rule.fact in HEADROOM_FACTS and not headroom:
            continue
        if not rule.matches(values) or any(item["code"] == rule.code for item in found):
            continue
        text = rule.text
        if rule.fact == "ltv_headroom":
            target = tier.max_ltv - rule.value
            extra = (structure.amount - target * structure.vehicle_value).quantize(Decimal("0.01"), ROUND_CEILING)
            extra = max(extra, ZERO)
            approved = min(approved, structure.amount - extra)
            text = text.format(amount=f"{extra:,.2f}", ltv=f"{target:.2f}")
        found.append({"code": rule.code, "text": text})
    return found, approved


@dataclass(frozen=True)
class ApplicantFile:
    """One applicant: the bureau's figures (None when no report could be pulled) and the application's."""

    primary: bool
    score: int | None
    alerts: tuple[str, ...]
    bureau_debt: Decimal
    mortgage_payment: Decimal  # the part of bureau_debt on mortgage tradelines
    tradeline_statuses: tuple[str, ...]
    monthly_income: Decimal
    housing_payment: Decimal
    months_employed: int


def combined_facts(rules: Rules, files: list[ApplicantFile], *, vehicle_age: int, vehicle_mileage: int) -> Facts:
    """The applicants taken together: incomes and debts add up; the score is the highest or the
    primary applicant's (rules.score_basis); any alert counts. Housing counts once: a mortgage on
    the report already is the housing payment, so only what exceeds it is added (rent is never
    on a report)."""
    if not files:  # nobody to weigh: no score, no income (the rules refer or decline it)
        return Facts(score=None, monthly_income=ZERO, monthly_debt=ZERO, vehicle_age=max(0, vehicle_age),
                     vehicle_mileage=vehicle_mileage)
    scores = [f.score for f in files if f.score is not None]
    primary = next((f for f in files if f.primary), files[0])
    score = primary.score if rules.score_basis == "PRIMARY" else (max(scores) if scores else None)
    debt = sum((f.bureau_debt + max(ZERO, f.housing_payment - f.mortgage_payment) for f in files), ZERO)
    return Facts(
        score=score, monthly_income=sum((f.monthly_income for f in files), ZERO), monthly_debt=debt,
        derogatory_tradelines=sum(1 for f in files for status in f.tradeline_statuses
                                  if status in rules.derogatory_statuses),
        alerts=tuple(dict.fromkeys(alert for f in files for alert in f.alerts)),
        months_employed=primary.months_employed, vehicle_age=max(0, vehicle_age), vehicle_mileage=vehicle_mileage,
    )


# -- counter-offers -----------------------------------------------------------------------------

def _passes(rules: Rules, structure: Structure, tier: Tier, facts: Facts) -> Ratios | None:
    try:
        ratios, failed = structure_failures(rules, structure, tier, facts)
    except (ArithmeticError, ValueError):
        return None  # a structure the math refuses (e.g. lease residual above the cap cost) cannot pass
    return None if failed else ratios


def _by_term(rules: Rules, structure: Structure, tier: Tier, facts: Facts) -> CounterOffer | None:
    """Another term within the maximum: the nearest longer one first (lower payment), and when the
    requested term is over the maximum, the longest allowed."""
    longest = max_term(rules, structure.product, facts.vehicle_age) or 0
    terms = [t for t in rules.counter.terms if t <= longest and t != structure.term_months]
    longer = [t for t in terms if t > structure.term_months]
    ordered = longer if structure.term_months <= longest else sorted(terms, reverse=True)
    for term in ordered:
        candidate = replace(structure, term_months=term)
        ratios = _passes(rules, candidate, tier, facts)
        if ratios is not None:
            return CounterOffer("TERM", candidate, ratios)
    return None


def _capped_term(rules: Rules, structure: Structure, facts: Facts) -> Structure:
    longest = max_term(rules, structure.product, facts.vehicle_age) or structure.term_months
    return replace(structure, term_months=min(structure.term_months, longest))


def _by_down_payment(rules: Rules, structure: Structure, tier: Tier, facts: Facts) -> CounterOffer | None:
    """The smallest larger down payment (in steps) that passes, at the requested term (or the maximum)."""
    step, limit = rules.counter.down_payment_step, rules.counter.max_additional_down
    if step <= ZERO:
        return None
    base = _capped_term(rules, structure, facts)
    low, high = 1, int(limit // step)  # in steps; more down only lowers every ratio, so bisect
    if high < 1 or _passes(rules, base.with_more_down(step * high), tier, facts) is None:
        return None
    while low < high:
        middle = (low + high) // 2
        if _passes(rules, base.with_more_down(step * middle), tier, facts) is None:
            low = middle + 1
        else:
            high = middle
    candidate = base.with_more_down(step * low)
    return CounterOffer("LARGER_DOWN_PAYMENT", candidate, _passes(rules, candidate, tier, facts))


def _by_amount(rules: Rules, structure: Structure, tier: Tier, facts: Facts) -> CounterOffer | None:
    """The largest amount (a multiple of the step) that passes at the longest allowed term."""
    step, floor = rules.counter.amount_step, rules.counter.min_amount
    longest = max_term(rules, structure.product, facts.vehicle_age)
    if step <= ZERO or longest is None:
        return None
    base = replace(structure, term_months=longest)
    top = int(structure.amount // step)
    bottom = int((floor + step - Decimal("0.01")) // step)  # the smallest multiple of step at or above floor
    if top < bottom or _passes(rules, base.with_amount(step * bottom), tier, facts) is None:
        return None
    while bottom < top:
        middle = (bottom + top + 1) // 2
        if _passes(rules, base.with_amount(step * middle), tier, facts) is None:
            top = middle - 1
        else:
            bottom = middle
    candidate = base.with_amount(step * bottom)
    if candidate.amount >= structure.amount:
        return None
    return CounterOffer("LOWER_AMOUNT", candidate, _passes(rules, candidate, tier, facts))


SEARCHES = {"TERM": _by_term, "LARGER_DOWN_PAYMENT": _by_down_payment, "LOWER_AMOUNT": _by_amount}


def counter_offer(rules: Rules, structure: Structure, tier: Tier, facts: Facts) -> CounterOffer | None:
    """The first structure, by the product's strategies in order, that passes every structure check."""
    for strategy in rules.counter.strategies.get(structure.product, ()):
        found = SEARCHES[strategy](rules, structure, tier, facts)
        if found is not None:
            return found
    return None


# -- the decision -------------------------------------------------------------------------------

def _credit_failures(rules: Rules, facts: Facts) -> list[str]:
    """Reasons no structure can fix: delinquencies, a vehicle too old or too worn."""
    reasons = []
    if facts.derogatory_tradelines > rules.max_derogatory_tradelines:
        reasons.append(DELINQUENT_OBLIGATIONS)
    if max_term(rules, LOAN, facts.vehicle_age) is None or facts.vehicle_mileage > rules.max_vehicle_mileage:
        reasons.append(COLLATERAL)
    return reasons


def _safe_ratios(rules: Rules, structure: Structure, tier: Tier, facts: Facts) -> tuple[Ratios | None, list[str]]:
    try:
        return structure_failures(rules, structure, tier, facts)
    except (ArithmeticError, ValueError):
        return None, ["TERM"]  # terms the math refuses are terms we do not grant


def evaluate(rules: Rules, facts: Facts, structure: Structure) -> Verdict:
    lowest = rules.tiers[-1]
    referral = [rules.refer_on_alerts[alert] for alert in facts.alerts if alert in rules.refer_on_alerts]
    if referral:
        ratios, _ = _safe_ratios(rules, structure, lowest, facts)
        return Verdict(REFERRED, None, structure, ratios, reasons=rules.ordered_reasons(referral))
    if facts.score is None:
        ratios, failed = _safe_ratios(rules, structure, lowest, facts)
        codes = [rules.no_score_reason]
        if rules.no_score_action == DECLINED:
            codes += _credit_failures(rules, facts) + [STRUCTURE_CHECKS[name] for name in failed]
        return Verdict(rules.no_score_action, None, structure, ratios, reasons=rules.ordered_reasons(codes))
    tier = tier_for(rules, facts.score)
    if tier is None:
        ratios, failed = _safe_ratios(rules, structure, lowest, facts)
        band = rules.referral_band
        if band is not None and band[0] <= facts.score <= band[1]:
            return Verdict(REFERRED, None, structure, ratios, reasons=rules.ordered_reasons([REVIEW_BAND]))
        codes = [SCORE_BELOW_MINIMUM, *_credit_failures(rules, facts), *(STRUCTURE_CHECKS[n] for n in failed)]
        return Verdict(DECLINED, None, structure, ratios, reasons=rules.ordered_reasons(codes))
    ratios, failed = _safe_ratios(rules, structure, tier, facts)
    credit = _credit_failures(rules, facts)
    if credit:
        codes = credit + [STRUCTURE_CHECKS[name] for name in failed]
        return Verdict(DECLINED, tier, structure, ratios, reasons=rules.ordered_reasons(codes))
    if not failed:
        conditions, approved = _conditions(rules, facts, structure, tier, ratios)
        outcome = APPROVED_WITH_CONDITIONS if conditions else APPROVED
        return Verdict(outcome, tier, structure, ratios, conditions=conditions, approved_amount=approved)
    offer = counter_offer(rules, structure, tier, facts)
    if offer is None:
        return Verdict(DECLINED, tier, structure, ratios,
                       reasons=rules.ordered_reasons([STRUCTURE_CHECKS[name] for name in failed]))
    # A counter-offer is adverse action on what was asked (12 CFR 1002.9(a)(1)(iv) once it is not
    # accepted), so it carries the reasons too.
    conditions, approved = _conditions(rules, facts, offer.structure, tier, offer.ratios, headroom=False)
    return Verdict(COUNTER_OFFER, tier, structure, ratios, conditions=conditions, counter=offer,
                   reasons=rules.ordered_reasons([STRUCTURE_CHECKS[name] for name in failed]),
                   approved_amount=approved)

