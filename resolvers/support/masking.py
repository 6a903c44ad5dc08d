"""What support sees of a customer's identity: masked values only.

- Email `j***@example.com`, phone `***-***-1234`, SSN `***-**-1234` (the full SSN is never
  decrypted for support; only the stored last four are shown).
- The date of birth and the ZIP code are never shown, only the birth year: they are the answers
  of the knowledge check (resolvers/support/verification.py), and a desk that displayed them would
  let anyone who reads the screen "verify" a caller. Staff type what the caller says; the rules
  compare it with the record.
"""

from __future__ import annotations

from models import Customer


def masked_ssn(ssn_last4: str) -> str:
    return f"***-**-{ssn_last4}"


def birth_year(customer: Customer) -> int:
    return customer.date_of_birth.year
