"""Annual tax documents: the statement of interest paid on a loan, and the statement of payments
and sales tax paid on a lease, for one calendar year. Figures in, PDF bytes out.

These are year-end statements for the customer's records (and for a deduction of vehicle loan
interest where the law allows one); they are not IRS information returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from documents.pdf import LENDER, DocumentPDF, Lender, dollars, latin1, money, us_date

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class TaxYearLine:
    """A payment (or a returned payment, with `returned=True`) effective in the year."""

    effective_date: date
    amount: Decimal
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fees: Decimal = ZERO
    tax: Decimal = ZERO
    returned: bool = False

    def signed(self, value: Decimal) -> Decimal:
        return -value if self.returned else value


@dataclass(frozen=True)
class TaxParty:
    """The account holder(s) and the account, as printed on a tax document."""

    account_number: str
    name: str
    mailing_address: tuple[str, ...]
    vehicle: str
    contract_date: date
    co_name: str | None = None


@dataclass(frozen=True)
class InterestStatementFigures:
    """Interest paid on a loan in `year`: Σ interest of payments − Σ interest of returned payments,
    by effective date. The other totals are the same sums over principal, fees and amounts."""

    year: int
    party: TaxParty
    interest_paid: Decimal
    principal_paid: Decimal
    fees_paid: Decimal
    total_paid: Decimal
    lines: tuple[TaxYearLine, ...]
    principal_balance_at_year_end: Decimal | None = None
    lender: Lender = field(default=LENDER)


@dataclass(frozen=True)
class LeaseTaxStatementFigures:
    """Lease payments and the sales tax in them, paid in `year` (net of returned payments)."""

    year: int
    party: TaxParty
    total_paid: Decimal
    base_payments: Decimal  # depreciation + rent charge
    rent_charge: Decimal
    sales_tax_paid: Decimal
    fees_paid: Decimal
    lines: tuple[TaxYearLine, ...]
    lender: Lender = field(default=LENDER)


def interest_statement_title(year: int) -> str:
    return f"Annual Interest Statement {year}"


def lease_tax_statement_title(year: int) -> str:
    return f"Annual Lease Statement {year}"


def tax_document_filename(account_number: str, year: int, lease: bool) -> str:
    kind = "lease-tax-statement" if lease else "interest-statement"
    return f"autofin-{kind}-{account_number}-{year}.pdf"


def render_interest_statement(figures: InterestStatementFigures) -> bytes:
    f = figures
    pdf = _start(interest_statement_title(f.year), f.year, f.party, f.lender)
    pdf.section(f"Summary for {f.year}")
    rows = [
        ("Principal paid", money(f.principal_paid)),
        ("Fees paid", money(f.fees_paid)),
        ("Total paid", money(f.total_paid)),
    ]
    if f.principal_balance_at_year_end is not None:
        rows.append((f"Principal balance on {us_date(date(f.year, 12, 31))}", money(f.principal_balance_at_year_end)))
    _headline(pdf, f"Interest paid in {f.year}", f.interest_paid, rows)
    pdf.section("Payments")
    lines = [(us_date(line.effective_date), "Returned payment" if line.returned else "Payment",
              money(line.signed(line.amount)), money(line.signed(line.principal)), money(line.signed(line.interest)),
              money(line.signed(line.fees))) for line in f.lines]
    pdf.grid(("Date", "Description", "Amount", "Principal", "Interest", "Fees"), lines,
             widths=(15, 35, 12, 12, 12, 10), aligns=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
             empty=f"No payments took effect in {f.year}.")
    pdf.ln(3)
    pdf.paragraph(
        f"Interest paid is the interest part of every payment that took effect from January 1 to December 31, "
        f"{f.year}, less the interest part of payments that were returned. This statement is provided for your "
        "records and is not an IRS form. Whether vehicle loan interest is deductible depends on your situation "
        "and the tax year; ask a tax professional."
    )
    return pdf.to_bytes()


def render_lease_tax_statement(figures: LeaseTaxStatementFigures) -> bytes:
    f = figures
    pdf = _start(lease_tax_statement_title(f.year), f.year, f.party, f.lender)
    pdf.section(f"Summary for {f.year}")
    rows = [
        ("Base monthly payments (depreciation and rent charge)", money(f.base_payments)),
        ("  of which rent charge", money(f.rent_charge)),
        ("Sales tax paid", money(f.sales_tax_paid)),
        ("Fees paid", money(f.fees_paid)),
    ]
    _headline(pdf, f"Lease payments in {f.year}", f.total_paid, rows)
    pdf.section("Payments")
    lines = [(us_date(line.effective_date), "Returned payment" if line.returned else "Payment",
              money(line.signed(line.amount)), money(line.signed(line.principal + line.interest)),
              money(line.signed(line.tax)), money(line.signed(line.fees))) for line in f.lines]
    pdf.grid(("Date", "Description", "Amount", "Base payment", "Sales tax", "Fees"), lines,
             widths=(15, 35, 12, 13, 12, 10), aligns=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
             empty=f"No payments took effect in {f.year}.")
    pdf.ln(3)
    pdf.paragraph(
        f"Totals are the payments that took effect from January 1 to December 31, {f.year}, less payments that "
        "were returned. Sales tax is the tax billed with each monthly payment and remitted by us to the taxing "
        "authority. This statement is provided for your records and is not an IRS form; if you use the vehicle "
        "for business, ask a tax professional which part you may deduct."
    )
    return pdf.to_bytes()


def _start(title: str, year: int, party: TaxParty, lender: Lender) -> DocumentPDF:
    pdf = DocumentPDF(title=title, subtitle=f"January 1 - December 31, {year}", created=date(year + 1, 1, 1),
                      lender=lender)
    top = pdf.get_y()
    names = [party.name] + ([party.co_name] if party.co_name else [])
    pdf.text_block([*names, *party.mailing_address], size=9.5, bold_first=True, width=90)
    left_bottom = pdf.get_y()
    pdf.set_y(top)
    pdf.key_values([
        ("Account number", party.account_number),
        ("Vehicle", party.vehicle),
        ("Contract date", us_date(party.contract_date)),
        ("Tax year", str(year)),
    ], width=88, x=pdf.l_margin + pdf.epw - 88)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 2)
    return pdf


def _headline(pdf: DocumentPDF, label: str, amount: Decimal, rows: list[tuple[str, str]]) -> None:
    top = pdf.get_y()
    pdf.key_values(rows, width=110)
    bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + 120, top)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(pdf.epw - 120, 5, latin1(label), align="R", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(pdf.epw - 120, 9, dollars(amount), align="R")
    pdf.set_y(max(bottom, top + 15))
