"""The credit bureau interface (a consumer credit report for an applicant) and how one is chosen.

A real bureau adapter (Equifax, Experian, TransUnion, or a reseller's tri-merge) implements
`CreditBureau`; `AUTOFIN_CREDIT_BUREAU` picks it. The project ships `SandboxBureau`
(gateways/bureau_sandbox.py), which answers documented test SSNs with fixed profiles and any other
SSN with a deterministic one, like a bureau's test environment.

The SSN goes to the bureau and nowhere else: a `BureauReport` carries no SSN, so storing or
logging a report cannot leak one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

# Tradeline kinds and statuses as bureaus report them (Metro 2 account types and payment ratings,
# simplified). Decision rules name statuses (e.g. which count as derogatory), so keep them stable.
TRADELINE_KINDS = ("AUTO", "MORTGAGE", "REVOLVING", "STUDENT", "INSTALLMENT")
TRADELINE_STATUSES = ("CURRENT", "LATE_30", "LATE_60", "LATE_90", "COLLECTION", "CHARGED_OFF")

# Alerts on a file that stop an automated decision: the consumer froze the file (no report can be
# pulled until they lift it), or placed a fraud alert (FCRA §605A: verify identity before credit).
FROZEN = "FROZEN"
FRAUD_ALERT = "FRAUD_ALERT"


class BureauError(Exception):
    """The bureau could not answer (network, outage, malformed reply). Nothing was pulled."""


class BureauUnavailable(BureauError):
    pass


@dataclass(frozen=True)
class Tradeline:
    """One credit account on the report."""

    creditor: str
    kind: str  # one of TRADELINE_KINDS
    balance: Decimal
    monthly_payment: Decimal
    status: str  # one of TRADELINE_STATUSES
    opened_on: date | None = None

    def as_json(self) -> dict:
        return {"creditor": self.creditor, "kind": self.kind, "balance": str(self.balance),
                "monthly_payment": str(self.monthly_payment), "status": self.status,
                "opened_on": self.opened_on.isoformat() if self.opened_on else None}


@dataclass(frozen=True)
class BureauReport:
    """What a bureau returned for one consumer. `score` is None when the file has too little history
    to score (thin file) or cannot be read (frozen). `monthly_debt` is the sum of the tradelines'
    monthly payments as the bureau reports it."""

    bureau: str
    reference: str  # the bureau's id of this pull, for disputes and audits
    score: int | None
    tradelines: tuple[Tradeline, ...] = ()
    alerts: tuple[str, ...] = ()
    score_model: str = "FICO Auto Score 8"
    pulled_on: date | None = None
    extra: dict = field(default_factory=dict)

    @property
    def monthly_debt(self) -> Decimal:
        return sum((line.monthly_payment for line in self.tradelines), Decimal("0.00"))


class CreditBureau(Protocol):
    name: str

    async def pull(self, ssn: str, *, first_name: str, last_name: str, date_of_birth: date | None,
                   postal_code: str) -> BureauReport:
        """A hard inquiry on the consumer. The caller has the applicant's consent (FCRA permissible
        purpose). Raises BureauError when the bureau cannot answer."""
        ...


BUREAUS = ("sandbox",)


def bureau_named(name: str) -> CreditBureau:
    if name == "sandbox":
        from gateways.bureau_sandbox import SandboxBureau

        return SandboxBureau()
    raise ValueError(f"unknown credit bureau {name!r} (AUTOFIN_CREDIT_BUREAU); available: {', '.join(BUREAUS)}")
