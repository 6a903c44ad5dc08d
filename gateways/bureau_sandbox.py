"""A sandbox credit bureau that behaves like a bureau's test environment: documented test SSNs
return fixed, realistic files, and any other SSN a deterministic file derived from its hash.

Test SSNs (9 digits, dashes optional; names, birth date and ZIP are ignored):

  SSN          profile       score  monthly debt  file                        default rules with the
                                                                            standard deal (below)
  500-10-0780  EXCELLENT     802    505.00        auto + card, all current    APPROVED (tier A+)
  500-10-0720  GOOD          724    420.00        student loan + card         APPROVED (tier A)
  500-10-0650  NEAR_PRIME    652    595.00        auto, card, one 30-day late APPROVED_WITH_CONDITIONS
                                                                            (tier B: PROOF_OF_INCOME)
  500-10-0610  BORDERLINE    604    460.00        card, personal loan         REFERRED (review band)
  500-10-0540  SUBPRIME      538    310.00        collection, charge-off,     DECLINED (score, delinquency)
                                                  60-day late
  500-10-0004  HIGH_DEBT     716    1,080.00      mortgage-free, heavy cards, COUNTER_OFFER (72 months
                                                  two installment loans       passes DTI)
  500-10-0001  THIN_FILE     none   35.00         one secured card, 5 months  REFERRED (no score)
  500-10-0002  FROZEN        none   0.00          consumer froze the file     REFERRED (frozen file)
  500-10-0003  FRAUD_ALERT   741    380.00        initial fraud alert         REFERRED (verify identity)
  500-10-0005  UNAVAILABLE   -      -             the pull fails (outage)     REFERRED (no report)

The "standard deal" the outcomes assume (tests/api/origination/test_decisioning.py): a new vehicle
worth 31,000.00, cash price 30,000.00 + fees 500.00 + taxes 2,000.00 − down 3,000.00 = 29,500.00
financed over 60 months; one applicant earning 6,000.00 a month, renting for 1,200.00, employed
36 months. Any other SSN gets a profile picked and varied by the SHA-256 of the SSN: the same SSN
always returns the same file.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date
from decimal import Decimal

from gateways.bureau import FRAUD_ALERT, FROZEN, BureauReport, BureauUnavailable, Tradeline

NAME = "sandbox"


def _line(creditor: str, kind: str, balance: str, payment: str, status: str = "CURRENT",
          opened: date | None = None) -> Tradeline:
    return Tradeline(creditor=creditor, kind=kind, balance=Decimal(balance), monthly_payment=Decimal(payment),
                     status=status, opened_on=opened)


# name -> (score, tradelines, alerts)
PROFILES: dict[str, tuple[int | None, tuple[Tradeline, ...], tuple[str, ...]]] = {
    "EXCELLENT": (802, (
        _line("Northwind Auto Credit", "AUTO", "8400.00", "410.00", opened=date(2022, 5, 1)),
        _line("Contoso Bank Visa", "REVOLVING", "1900.00", "95.00", opened=date(2011, 3, 1)),
    ), ()),
    "GOOD": (724, (
        _line("Federal Student Aid", "STUDENT", "21000.00", "240.00", opened=date(2016, 9, 1)),
        _line("Fabrikam Card Services", "REVOLVING", "4300.00", "180.00", opened=date(2018, 1, 1)),
    ), ()),
    "NEAR_PRIME": (652, (
        _line("Tailspin Motor Finance", "AUTO", "6100.00", "385.00", opened=date(2021, 8, 1)),
        _line("Woodgrove Mastercard", "REVOLVING", "5200.00", "210.00", status="LATE_30", opened=date(2019, 6, 1)),
    ), ()),
    "BORDERLINE": (604, (
        _line("Litware Card", "REVOLVING", "3800.00", "160.00", opened=date(2020, 2, 1)),
        _line("Adventure Works Lending", "INSTALLMENT", "7400.00", "300.00", status="LATE_30",
              opened=date(2023, 4, 1)),
    ), ()),
    "SUBPRIME": (538, (
        _line("Proseware Collections", "INSTALLMENT", "1250.00", "0.00", status="COLLECTION",
              opened=date(2021, 1, 1)),
        _line("Wide World Card", "REVOLVING", "2900.00", "0.00", status="CHARGED_OFF", opened=date(2019, 10, 1)),
        _line("Blue Yonder Auto", "AUTO", "7300.00", "310.00", status="LATE_60", opened=date(2022, 11, 1)),
    ), ()),
    "HIGH_DEBT": (716, (
        _line("Contoso Bank Visa", "REVOLVING", "14200.00", "430.00", opened=date(2014, 4, 1)),
        _line("Trey Research Personal Loans", "INSTALLMENT", "9800.00", "340.00", opened=date(2024, 2, 1)),
        _line("Humongous Furniture Credit", "INSTALLMENT", "6100.00", "310.00", opened=date(2025, 1, 1)),
    ), ()),
    "THIN_FILE": (None, (
        _line("Coho Secured Card", "REVOLVING", "300.00", "35.00", opened=date(2026, 6, 1)),
    ), ()),
    "FROZEN": (None, (), (FROZEN,)),
    "FRAUD_ALERT": (741, (
        _line("Fourth Coffee Auto", "AUTO", "9900.00", "380.00", opened=date(2023, 3, 1)),
    ), (FRAUD_ALERT,)),
}

TEST_SSNS = {
    "500100780": "EXCELLENT",
    "500100720": "GOOD",
    "500100650": "NEAR_PRIME",
    "500100610": "BORDERLINE",
    "500100540": "SUBPRIME",
    "500100004": "HIGH_DEBT",
    "500100001": "THIN_FILE",
    "500100002": "FROZEN",
    "500100003": "FRAUD_ALERT",
    "500100005": "UNAVAILABLE",
}

# Profiles an unknown SSN may get, in proportions close to a lender's applicant mix.
_DERIVED = ("EXCELLENT", "GOOD", "GOOD", "NEAR_PRIME", "NEAR_PRIME", "BORDERLINE", "SUBPRIME", "THIN_FILE")


def _digits(ssn: str) -> str:
    return "".join(c for c in ssn if c.isdigit())


def profile_of(ssn: str) -> str:
    """The profile name a SSN gets: its test profile, or one derived from its hash."""
    digits = _digits(ssn)
    if digits in TEST_SSNS:
        return TEST_SSNS[digits]
    return _DERIVED[_hash(digits)[0] % len(_DERIVED)]


def _hash(digits: str) -> bytes:
    return hashlib.sha256(f"autofin-sandbox-bureau:{digits}".encode()).digest()


def _varied(profile: str, digits: str) -> tuple[int | None, tuple[Tradeline, ...], tuple[str, ...]]:
    """A derived file: the profile's shape with the score moved by up to ±9 points and balances and
    payments scaled by 80–120 %, so two unknown SSNs with one profile still differ."""
    score, lines, alerts = PROFILES[profile]
    seed = _hash(digits)
    if score is not None:
        score = max(300, min(850, score + seed[1] % 19 - 9))
    scale = Decimal(80 + seed[2] % 41) / 100
    varied = tuple(Tradeline(creditor=line.creditor, kind=line.kind,
                             balance=(line.balance * scale).quantize(Decimal("0.01")),
                             monthly_payment=(line.monthly_payment * scale).quantize(Decimal("0.01")),
                             status=line.status, opened_on=line.opened_on) for line in lines)
    return score, varied, alerts


class SandboxBureau:
    name = NAME

    async def pull(self, ssn: str, *, first_name: str, last_name: str, date_of_birth: date | None,
                   postal_code: str) -> BureauReport:
        digits = _digits(ssn)
        if len(digits) != 9:
            raise ValueError("an SSN has 9 digits")
        profile = profile_of(digits)
        if profile == "UNAVAILABLE":
            raise BureauUnavailable("the sandbox bureau simulates an outage for this SSN")
        if digits in TEST_SSNS:
            score, lines, alerts = PROFILES[profile]
        else:
            score, lines, alerts = _varied(profile, digits)
        # Random, like a bureau's inquiry id: a hash of the SSN would be reversible (only 10^9 SSNs exist).
        reference = "SBX-" + secrets.token_hex(8).upper()
        return BureauReport(bureau=NAME, reference=reference, score=score, tradelines=lines, alerts=alerts,
                            extra={"profile": profile})
