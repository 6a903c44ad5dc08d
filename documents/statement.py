"""The monthly statement: figures in, PDF bytes out.

`StatementFigures` holds every number the statement prints, already computed from the ledger
(resolvers/servicing/documents.py: statement_figures). The renderer only lays them out, so a test
can build figures by hand and read them back from the PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from documents.pdf import (
    LENDER,
    DocumentPDF,
    Lender,
    dollars,
    latin1,
    long_date,
    money,
    percent,
    us_date,
)

ZERO = Decimal("0.00")
LOAN = "LOAN"
LEASE = "LEASE"

KIND_LABELS = {
    "PAYMENT": "Payment",
    "PAYMENT_REVERSAL": "Returned payment",
    "LATE_FEE": "Late fee",
    "RETURNED_PAYMENT_FEE": "Returned payment fee",
    "FEE_WAIVER": "Fee waived",
    "ADJUSTMENT": "Adjustment",
    "PAYOFF_WAIVER": "Payoff balance waived",
    "REFUND": "Refund",
}


@dataclass(frozen=True)
class StatementTransaction:
    """One ledger entry effective in the period, as printed."""

    effective_date: date
    kind: str  # a models.enums.LedgerEntryKind value
    amount: Decimal
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fees: Decimal = ZERO
    tax: Decimal = ZERO
    memo: str = ""

    @property
    def description(self) -> str:
        return self.memo or KIND_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Remittance:
    """The payment coupon: what to pay, by when, and where to mail it."""

    account_number: str
    amount_due: Decimal
    due_date: date | None
    payable_to: str
    mailing_address: tuple[str, ...]


@dataclass(frozen=True)
class StatementFigures:
    """Every figure of one monthly statement of one contract, for the period [start, end].

    Balances (opening: start of the first day; closing: end of the last day): a loan's is
    principal + accrued unpaid interest + unpaid fees; a lease's is the scheduled payments not yet
    paid + unpaid fees. `interest_charged` is the interest a loan accrued during the period (zero
    for a lease, whose rent charge is part of its scheduled payments: `rent_charge_paid`).
    Closing = opening + interest charged + fees assessed − payments + returned payments
    + other_credits (waivers, refunds, adjustments). Amount due = current installment + past due
    + unpaid fees, as of the period end.
    """

    account_number: str
    product: str  # "LOAN" or "LEASE"
    customer_name: str
    mailing_address: tuple[str, ...]
    vehicle: str
    period_start: date
    period_end: date
    opening_balance: Decimal
    closing_balance: Decimal
    transactions: tuple[StatementTransaction, ...]
    interest_charged: Decimal
    rent_charge_paid: Decimal
    fees_assessed: Decimal
    payments_received: Decimal
    payments_returned: Decimal
    # Waivers, refunds and adjustments: what reconciles opening to closing besides the above.
    other_credits: Decimal
    tax_paid: Decimal
    current_due: Decimal
    past_due_amount: Decimal
    fees_due: Decimal
    amount_due: Decimal
    due_date: date | None
    days_past_due: int
    co_customer_name: str | None = None
    apr: Decimal | None = None
    principal_balance: Decimal | None = None
    accrued_interest: Decimal | None = None
    lender: Lender = field(default=LENDER)

    @property
    def statement_date(self) -> date:
        """The day after the period: the cycle day the statement is issued on."""
        return self.period_end + timedelta(days=1)

    @property
    def is_lease(self) -> bool:
        return self.product == LEASE

    @property
    def remittance(self) -> Remittance:
        return Remittance(account_number=self.account_number, amount_due=self.amount_due, due_date=self.due_date,
                          payable_to=self.lender.name, mailing_address=self.lender.payment_address)


def statement_title(period_start: date) -> str:
    return f"Statement for {period_start.strftime('%B')} {period_start.year}"


def statement_filename(account_number: str, period_start: date) -> str:
    return f"autofin-statement-{account_number}-{period_start:%Y-%m}.pdf"


def render_statement(figures: StatementFigures) -> bytes:
    """The statement as PDF bytes; the same figures always give the same bytes."""
    f = figures
    pdf = DocumentPDF(
        title="Monthly Statement",
        subtitle=f"Statement period {us_date(f.period_start)} - {us_date(f.period_end)}",
        created=f.statement_date,
        lender=f.lender,
    )
    _addresses_and_account(pdf, f)
    _payment_summary(pdf, f)
    _activity(pdf, f)
    _transactions(pdf, f)
    _notes(pdf, f)
    _remittance(pdf, f)
    return pdf.to_bytes()


def _addresses_and_account(pdf: DocumentPDF, f: StatementFigures) -> None:
    top = pdf.get_y()
    names = [f.customer_name] + ([f.co_customer_name] if f.co_customer_name else [])
    pdf.text_block([*names, *f.mailing_address], size=9.5, bold_first=True, width=90)
    left_bottom = pdf.get_y()
    pdf.set_y(top)
    rows = [
        ("Account number", f.account_number),
        ("Statement date", us_date(f.statement_date)),
        ("Product", "Lease" if f.is_lease else "Retail installment loan"),
        ("Vehicle", f.vehicle),
    ]
    if f.apr is not None:
        rows.append(("Annual percentage rate", percent(f.apr)))
    pdf.key_values(rows, width=88, x=pdf.l_margin + pdf.epw - 88)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 2)


def _payment_summary(pdf: DocumentPDF, f: StatementFigures) -> None:
    pdf.section("Payment summary")
    due = f"Payment due date: {us_date(f.due_date)}" if f.due_date else "No payment is due."
    rows = [
        ("Current payment", money(f.current_due)),
        ("Past due amount", money(f.past_due_amount)),
        ("Unpaid fees", money(f.fees_due)),
        ("Total amount due", dollars(f.amount_due)),
    ]
    top = pdf.get_y()
    pdf.key_values(rows, width=100, bold_last=True)
    bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + 110, top)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(pdf.epw - 110, 6, latin1(due), align="R")
    pdf.set_xy(pdf.l_margin + 110, top + 7)
    pdf.set_font("Helvetica", "", 8.5)
    if f.days_past_due:
        pdf.cell(pdf.epw - 110, 5, f"Your account is {f.days_past_due} days past due.", align="R")
    elif f.due_date:
        pdf.cell(pdf.epw - 110, 5, f"Please pay {dollars(f.amount_due)} by {long_date(f.due_date)}.", align="R")
    pdf.set_y(bottom)


def _activity(pdf: DocumentPDF, f: StatementFigures) -> None:
    pdf.section("Account activity this period")
    rows = [(f"Opening balance, start of {us_date(f.period_start)}", money(f.opening_balance))]
    if not f.is_lease:
        rows.append(("Interest charged", money(f.interest_charged)))
    rows += [("Fees assessed", money(f.fees_assessed)), ("Payments received", money(-f.payments_received))]
    if f.payments_returned:
        rows.append(("Returned payments", money(f.payments_returned)))
    if f.other_credits:
        rows.append(("Waivers, refunds and adjustments", money(f.other_credits)))
    rows.append((f"Closing balance, end of {us_date(f.period_end)}", money(f.closing_balance)))
    top = pdf.get_y()
    pdf.key_values(rows, width=120, bold_last=True)
    bottom = pdf.get_y()
    if f.is_lease:
        heading = "Your payments included"
        parts = [("Rent charge", money(f.rent_charge_paid)), ("Sales tax", money(f.tax_paid))]
    else:
        heading = "Closing balance is made of"
        parts = [("Principal", money(f.principal_balance or ZERO)),
                 ("Accrued interest", money(f.accrued_interest or ZERO)),
                 ("Unpaid fees", money(f.fees_due))]
    pdf.set_y(top)
    pdf.set_font("Helvetica", "B", 8)
    pdf.set_x(pdf.l_margin + pdf.epw - 55)
    pdf.cell(55, 5, heading, align="R")
    pdf.ln(5)
    pdf.key_values(parts, width=55, x=pdf.l_margin + pdf.epw - 55)
    pdf.set_y(max(bottom, pdf.get_y()))


def _transactions(pdf: DocumentPDF, f: StatementFigures) -> None:
    pdf.section("Transactions")
    if f.is_lease:
        headings = ("Date", "Description", "Amount", "Depreciation", "Rent charge", "Fees", "Tax")
        widths = (15, 35, 11, 13, 12, 9, 9)
        rows = [(us_date(t.effective_date), t.description, money(t.amount), money(t.principal), money(t.interest),
                 money(t.fees), money(t.tax)) for t in f.transactions]
        aligns = ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")
    else:
        headings = ("Date", "Description", "Amount", "Principal", "Interest", "Fees")
        widths = (15, 45, 12, 12, 12, 10)
        rows = [(us_date(t.effective_date), t.description, money(t.amount), money(t.principal), money(t.interest),
                 money(t.fees)) for t in f.transactions]
        aligns = ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")
    pdf.grid(headings, rows, widths=widths, aligns=aligns)


def _notes(pdf: DocumentPDF, f: StatementFigures) -> None:
    pdf.ln(3)
    if f.is_lease:
        text = ("The balance is the monthly payments (including sales tax) not yet paid plus unpaid fees; it "
                "does not include end-of-term charges or the purchase option price. Payments are credited on "
                "the day we receive them.")
    else:
        text = ("This is a simple interest loan: interest accrues daily on the principal balance and payments "
                "are credited on the day we receive them, first to accrued interest, then to principal, then to "
                "fees. Paying early lowers the interest you pay; paying late raises it. The closing balance is "
                "not a payoff quote; ask for one before paying your loan off.")
    text += (" Transactions are listed by the day they take effect. A late fee applies to a payment not received "
             "within the grace period after its due date.")
    pdf.paragraph(text)


def _remittance(pdf: DocumentPDF, f: StatementFigures) -> None:
    r = f.remittance
    pdf.cut_line("Please detach and return this part with your payment. Do not send cash.")
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(pdf.epw, 6, "Payment coupon", new_x="LMARGIN", new_y="NEXT")
    top = pdf.get_y()
    rows = [
        ("Account number", r.account_number),
        ("Amount due", dollars(r.amount_due)),
        ("Payment due date", us_date(r.due_date)),
        ("Amount enclosed", "$ ______________"),
    ]
    pdf.key_values(rows, width=85)
    bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + 100, top)
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(pdf.epw - 100, 4.5, latin1(f"Make checks payable to {r.payable_to}. Mail to:"),
             new_x="LEFT", new_y="NEXT")
    pdf.text_block(r.mailing_address, size=9.5, bold_first=True, width=pdf.epw - 100, x=pdf.l_margin + 100)
    pdf.set_y(max(bottom, pdf.get_y()) + 2)
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(pdf.epw, 4.5, latin1(f"From: {f.customer_name}, {', '.join(f.mailing_address)}"),
             new_x="LMARGIN", new_y="NEXT")
