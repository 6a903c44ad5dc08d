"""The contract PDF and its certificate of completion: figures from an approved structure (through
finance/), printed in the federal boxes, deterministic bytes, and a signed copy that begins with
the exact bytes that were signed.

Model rows are built in memory (never saved): contract_terms is pure given its rows."""

from __future__ import annotations

import hashlib
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from pypdf import PdfReader

from documents.certificate import Certificate, CertificateEvent, CertificateSigner, signed_document
from documents.contract_pdf import LEASE_TITLE, LOAN_TITLE, LeaseContract, LoanContract, render_contract
from models import ApplicationDecision, CreditApplication, Customer, Dealership
from models.enums import ContractKind, DecisionOutcome, VehicleCondition
from resolvers.errors import ErrorCode, Problem
from resolvers.esign.terms import ContractTerms, DealParties, contract_terms

D = Decimal
SIGNED_ON = date(2026, 11, 2)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def parties(co: bool = False) -> DealParties:
    def person(first: str, last: str) -> Customer:
        return Customer(first_name=first, last_name=last, address_line1="1 Main St", address_line2="", city="Austin",
                        state="TX", postal_code="78701", email=f"{first.lower()}@example.com")

    return DealParties(dealership=Dealership(name="Sunrise Motors", city="Austin", state="TX"),
                       applicant=person("Ana", "Núñez"), co_applicant=person("Ben", "Okafor") if co else None)


def application(product: ContractKind = ContractKind.LOAN, **overrides) -> CreditApplication:
    values = dict(
        number="A000000042", product=product, vin="1HGCM82633A004352", vehicle_year=2025, vehicle_make="Honda",
        vehicle_model="Civic", vehicle_trim="EX", vehicle_condition=VehicleCondition.NEW, vehicle_mileage=12,
        vehicle_value=D("6500.00"), term_months=36, first_payment_date=None, security_deposit=D("0.00"),
        # finance-notes example 1: 6,000 + 400 tax + 100 fees − 1,000 down − (1,000 trade − 500 payoff) = 5,000.
        cash_price=D("6000.00"), taxes=D("400.00"), fees=D("100.00"), cash_down=D("1000.00"),
        trade_in_value=D("1000.00"), trade_in_payoff=D("500.00"), requested_apr=D("12.0000"),
    )
    if product == ContractKind.LEASE:
        # finance-notes example 2: gross cap cost 38,000, reduction 2,000, residual 23,200, MF 0.00125, 7 % tax.
        values.update(cash_price=D("37500.00"), taxes=D("0.00"), fees=D("500.00"), cash_down=D("2000.00"),
                      trade_in_value=D("0.00"), trade_in_payoff=D("0.00"), requested_apr=None,
                      money_factor=D("0.00125"), residual_value=D("23200.00"), annual_mileage=12000,
                      sales_tax_rate=D("0.0700"), security_deposit=D("500.00"), vehicle_value=D("38000.00"))
    values.update(overrides)
    return CreditApplication(**values)


def approval(**overrides) -> ApplicationDecision:
    values = dict(outcome=DecisionOutcome.APPROVED, approved_apr=D("12.0000"), approved_term_months=36,
                  approved_amount=D("40000.00"), approved_money_factor=None)
    values.update(overrides)
    return ApplicationDecision(**values)


def loan_terms(**overrides) -> ContractTerms:
    terms = contract_terms(application(**overrides), approval(), parties(co=True), SIGNED_ON)
    assert isinstance(terms, ContractTerms), terms
    return terms


def lease_terms() -> ContractTerms:
    terms = contract_terms(application(ContractKind.LEASE), approval(approved_apr=None), parties(), SIGNED_ON)
    assert isinstance(terms, ContractTerms), terms
    return terms


def test_loan_terms_follow_worked_example_1():
    terms = loan_terms()
    doc = terms.document
    assert isinstance(doc, LoanContract)
    assert (terms.amount_financed, terms.scheduled_payment, terms.apr) == (D("5000.00"), D("166.07"), D("12.0000"))
    assert (terms.first_payment_date, terms.maturity_date) == (date(2026, 12, 2), date(2029, 11, 2))
    assert (doc.apr, doc.finance_charge, doc.total_of_payments) == (D("12.00"), D("978.60"), D("5978.60"))
    # Down payment 1,000 cash + 500 net trade-in; total sale price = cash price + tax + fees + finance charge.
    assert doc.down_payment == D("1500.00")
    assert doc.total_sale_price == D("7478.60") == D("6000.00") + D("400.00") + D("100.00") + doc.finance_charge
    assert [(g.count, g.amount) for g in doc.payments] == [(35, D("166.07")), (1, D("166.15"))]


def test_the_ric_prints_the_tila_box_schedule_and_itemization():
    text = flat(pdf_text(render_contract(loan_terms().document)))
    assert LOAN_TITLE in text and "Contract A000000042" in text
    for words in ("ANNUAL PERCENTAGE RATE", "12.00%", "FINANCE CHARGE", "$978.60", "Amount Financed",
                  "$5,000.00", "Total of Payments", "$5,978.60", "Total Sale Price", "$7,478.60",
                  "down payment of $1,500.00", "35 166.07 Monthly beginning 12/02/2026", "1 166.15 11/02/2029",
                  "Cash price of the vehicle 6,000.00", "Trade-in allowance -1,000.00",
                  "Payoff of the trade-in, paid by the seller 500.00", "1HGCM82633A004352", "2025 Honda Civic EX",
                  "Ana Núñez", "Ben Okafor", "Sunrise Motors", "late charge of $25.00"):
        assert words in text, words


def test_products_sold_with_the_deal_are_a_line_of_the_itemization_and_in_the_amount_financed():
    terms = loan_terms(add_ons_price=D("1995.00"))
    assert terms.amount_financed == D("6995.00")  # worked example 1's 5,000 + a 1,995 service contract
    text = flat(pdf_text(render_contract(terms.document)))
    for words in ("Service contracts and other optional products 1,995.00",
                  "Amount Financed (4 + 5 + 6 + 7 + 8) $6,995.00"):
        assert words in text, words


def test_lease_terms_follow_worked_example_2_with_reg_m_figures():
    terms = lease_terms()
    doc = terms.document
    assert isinstance(doc, LeaseContract)
    assert (terms.amount_financed, terms.scheduled_payment) == (D("36000.00"), D("459.63"))
    assert (doc.depreciation, doc.monthly_depreciation, doc.monthly_rent_charge) == (
        D("12800.00"), D("355.56"), D("74.00"))
    assert doc.rent_charge == D("429.56") * 36 - D("12800.00")
    # Due at signing: 2,000 reduction + 500 refundable deposit; total of payments leaves the deposit out.
    assert doc.amount_due_at_signing == D("2500.00")
    assert doc.total_of_payments == D("2000.00") + D("459.63") * 36 + D("395.00")
    assert doc.purchase_option_price == D("23550.00") and doc.allowed_miles == 36000

    text = flat(pdf_text(render_contract(doc)))
    assert LEASE_TITLE in text
    for words in ("Amount Due at Lease Signing", "$2,500.00", "Monthly Payments", "$459.63", "Other Charges",
                  "$395.00", "Total of Payments", f"${doc.total_of_payments:,}", "Gross capitalized cost",
                  "38,000.00", "Adjusted capitalized cost", "36,000.00", "Residual value", "-23,200.00",
                  "Depreciation and any amortized amounts 12,800.00", "Rent charge 2,664.16",
                  "12,000 miles per year", "$0.25 per mile", "$23,550.00", "Refundable security deposit 500.00"):
        assert words in text, words


def test_the_same_figures_give_the_same_bytes():
    first, second = render_contract(loan_terms().document), render_contract(loan_terms().document)
    assert first == second
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    assert render_contract(loan_terms(cash_price=D("6000.01")).document) != first


def test_a_structure_beyond_the_approval_is_refused_not_capped():
    problem = contract_terms(application(), approval(approved_amount=D("4999.99")), parties(), SIGNED_ON)
    assert isinstance(problem, Problem) and problem.code == ErrorCode.CONFLICT
    nothing = contract_terms(application(cash_down=D("7000.00")), approval(), parties(), SIGNED_ON)
    assert isinstance(nothing, Problem) and nothing.code == ErrorCode.INVALID
    lease = contract_terms(application(ContractKind.LEASE, residual_value=None), approval(), parties(), SIGNED_ON)
    assert isinstance(lease, Problem) and lease.code == ErrorCode.INVALID


def test_the_signed_copy_begins_with_the_signed_bytes_and_carries_the_certificate():
    original = render_contract(loan_terms().document)
    digest = hashlib.sha256(original).hexdigest()
    at = datetime(2026, 11, 3, 16, 30, tzinfo=timezone.utc)
    signer = CertificateSigner(routing_order=1, role="Buyer", name="Ana Núñez", email="ana@example.com",
                               typed_name="ana núñez", consented_at=at, signed_at=at, ip="203.0.113.9",
                               user_agent="Mozilla/5.0 (iPhone) Safari/605.1")
    event = CertificateEvent(occurred_at=at, action="signed", actor="Ana Núñez <ana@example.com>", ip="203.0.113.9",
                             user_agent="Mozilla/5.0", document_sha256=digest)
    cert = Certificate(envelope_reference="RW52ZWxvcGU6MQ==", application_number="A000000042",
                       document_title=LOAN_TITLE, document_sha256=digest, document_size=len(original),
                       sent_at=at, completed_at=at, signers=(signer,), events=(event,), consent_version="v1")
    signed = signed_document(original, cert)
    assert signed.startswith(original)
    assert hashlib.sha256(signed[:len(original)]).hexdigest() == digest
    assert signed == signed_document(original, cert)
    reader = PdfReader(io.BytesIO(signed))
    assert len(reader.pages) == len(PdfReader(io.BytesIO(original)).pages) + 1
    text = flat(pdf_text(signed))
    for words in ("Certificate of Completion", digest, "Ana Núñez", "ana núñez", "203.0.113.9",
                  "2026-11-03 16:30:00 UTC", "Mozilla/5.0 (iPhone)", "RW52ZWxvcGU6MQ=="):
        assert words in text, words


@pytest.mark.parametrize("name", ["Zoë Łukasz-Ørsted", "李小龍"])
def test_names_outside_latin1_never_break_rendering(name):
    people = parties()
    people.applicant.first_name = name
    terms = contract_terms(application(), approval(), people, SIGNED_ON)
    assert render_contract(terms.document).startswith(b"%PDF")
