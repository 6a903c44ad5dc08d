"""The contract sent for e-signature: a retail installment sale contract with its Truth in Lending
box (Regulation Z §1026.18) or a closed-end vehicle lease with its Regulation M (§1013.4)
disclosures. Figures in, PDF bytes out.

Every number is computed before it gets here (resolvers/esign/terms.py, with finance/): the
renderer only lays them out, so a test can build figures by hand and read them back from the PDF.
The same figures always give the same bytes (the creation date is the contract date), so the
document's SHA-256 is stable and can be recomputed to prove what was signed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from fpdf.enums import XPos, YPos

from documents.pdf import FONT, LENDER, DocumentPDF, Lender, dollars, latin1, money, percent, us_date

ZERO = Decimal("0.00")
LOAN_TITLE = "Retail Installment Sale Contract"
LEASE_TITLE = "Motor Vehicle Lease Agreement"


@dataclass(frozen=True)
class Party:
    """A person or business named on the contract, with the address printed under the name."""

    name: str
    address: tuple[str, ...] = ()


@dataclass(frozen=True)
class VehicleDescription:
    year: int
    make: str
    model: str
    trim: str
    vin: str
    condition: str  # "NEW" or "USED"
    odometer: int

    @property
    def label(self) -> str:
        return " ".join(str(part) for part in (self.year, self.make, self.model, self.trim) if part)


@dataclass(frozen=True)
class ContractHeader:
    """Who contracts, for what, and when. `reference` is the application number."""

    reference: str
    contract_date: date
    seller: Party  # the dealership: seller-creditor of a RIC, lessor of a lease
    buyers: tuple[Party, ...]  # the applicant, then the co-applicant if any
    vehicle: VehicleDescription
    lender: Lender = field(default=LENDER)  # the assignee the dealer assigns the contract to


@dataclass(frozen=True)
class PaymentGroup:
    """One line of the payment schedule: `count` payments of `amount`, starting `first_due`."""

    count: int
    amount: Decimal
    first_due: date
    monthly: bool = True


@dataclass(frozen=True)
class LoanContract:
    """A retail installment sale contract (simple interest).

    Itemization: cash price + taxes + fees − cash down − trade-in allowance + trade-in payoff + optional
    products (add-ons) = amount financed. Total sale price = total of payments + down payment (cash down + net trade-in:
    cash price + taxes + fees + finance charge when the trade-in is not under water).
    """

    header: ContractHeader
    apr: Decimal  # disclosed APR (Appendix J), percent
    note_rate: Decimal  # the contract's simple interest rate, percent
    finance_charge: Decimal
    amount_financed: Decimal
    total_of_payments: Decimal
    total_sale_price: Decimal
    down_payment: Decimal  # cash down + net trade-in, never below zero
    term_months: int
    payments: tuple[PaymentGroup, ...]
    cash_price: Decimal
    taxes: Decimal
    fees: Decimal
    cash_down: Decimal
    trade_in_value: Decimal
    trade_in_payoff: Decimal
    late_fee: Decimal
    grace_days: int
    returned_payment_fee: Decimal
    # Optional products sold with the deal (service contract, GAP, ...), financed: in the amount financed.
    add_ons: Decimal = Decimal(0)


@dataclass(frozen=True)
class LeaseContract:
    """A closed-end vehicle lease with the §1013.4 figures.

    Gross cap cost = cash price + fees + taxes + trade-in payoff; cap cost reduction = cash down +
    trade-in allowance. Amount due at signing = cap cost reduction + refundable security deposit
    (the first monthly payment is due a month after signing). Total of payments (§1013.4(e)) = amount due at
    signing less the refundable deposit + the monthly payments + other charges.
    """

    header: ContractHeader
    amount_due_at_signing: Decimal
    security_deposit: Decimal
    monthly_payment: Decimal
    base_monthly_payment: Decimal
    monthly_tax: Decimal
    term_months: int
    first_payment_date: date
    other_charges: Decimal  # the disposition fee, if the vehicle is returned
    total_of_payments: Decimal
    gross_cap_cost: Decimal
    cap_cost_reduction: Decimal
    adjusted_cap_cost: Decimal
    residual_value: Decimal
    depreciation: Decimal
    rent_charge: Decimal  # over the term
    total_of_base_payments: Decimal
    monthly_depreciation: Decimal
    monthly_rent_charge: Decimal
    money_factor: Decimal
    sales_tax_rate: Decimal  # a fraction
    annual_mileage: int
    allowed_miles: int
    excess_mileage_rate: Decimal
    purchase_option_fee: Decimal
    purchase_option_price: Decimal
    cash_price: Decimal
    fees: Decimal
    taxes: Decimal
    cash_down: Decimal
    trade_in_value: Decimal
    trade_in_payoff: Decimal
    late_fee: Decimal
    grace_days: int
    returned_payment_fee: Decimal


Contract = LoanContract | LeaseContract


def contract_title(contract: Contract) -> str:
    return LOAN_TITLE if isinstance(contract, LoanContract) else LEASE_TITLE


def contract_filename(reference: str, signed: bool = False) -> str:
    return f"autofin-contract-{reference}{'-signed' if signed else ''}.pdf"


def render_contract(contract: Contract) -> bytes:
    """The contract as PDF bytes; the same figures always give the same bytes."""
    header = contract.header
    pdf = DocumentPDF(title=contract_title(contract), subtitle=f"Contract {header.reference}  |  "
                      f"Dated {us_date(header.contract_date)}", created=header.contract_date, lender=header.lender)
    lease = isinstance(contract, LeaseContract)
    _parties(pdf, header, lease)
    if not lease:
        _tila_box(pdf, contract)
        _loan_schedule(pdf, contract)
        _itemization(pdf, contract)
        _loan_terms(pdf, contract)
    else:
        _lease_box(pdf, contract)
        _lease_cost(pdf, contract)
        _lease_terms(pdf, contract)
    _signatures(pdf, header, lease)
    return pdf.to_bytes()


# -- parts -------------------------------------------------------------------------------------

def _roles(lease: bool) -> tuple[str, str, str]:
    """(customer, co-customer, dealer) as the contract names them."""
    return ("Lessee", "Co-lessee", "Lessor") if lease else ("Buyer", "Co-buyer", "Seller")


def _parties(pdf: DocumentPDF, header: ContractHeader, lease: bool) -> None:
    customer, co_customer, dealer = _roles(lease)
    top = pdf.get_y()
    role = customer if len(header.buyers) == 1 else f"{customer} and {co_customer.lower()}"
    pdf.set_font(FONT, "B", 8)
    pdf.cell(90, 4.5, role, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for buyer in header.buyers:
        pdf.text_block([buyer.name, *buyer.address], size=9, bold_first=True, width=90)
    left_bottom = pdf.get_y()
    right = pdf.l_margin + pdf.epw - 90
    pdf.set_xy(right, top)
    pdf.set_font(FONT, "B", 8)
    pdf.cell(90, 4.5, dealer, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.text_block([header.seller.name, *header.seller.address], size=9, bold_first=True, width=90, x=right)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 2)
    vehicle = header.vehicle
    pdf.section("Vehicle")
    pdf.key_values([
        ("Year, make, model", vehicle.label),
        ("Vehicle identification number", vehicle.vin),
        ("New or used", "New" if vehicle.condition == "NEW" else "Used"),
        ("Odometer", f"{vehicle.odometer:,} miles"),
    ], width=130)


def _boxes(pdf: DocumentPDF, boxes: list[tuple[str, str, str]]) -> None:
    """The federal disclosure boxes: a bold heading, its legal explanation, then the figure."""
    width = pdf.epw / len(boxes)
    top = pdf.get_y()
    height = 36
    if top + height > pdf.h - pdf.b_margin:
        pdf.add_page()
        top = pdf.get_y()
    for index, (heading, explanation, value) in enumerate(boxes):
        x = pdf.l_margin + index * width
        pdf.rect(x, top, width, height, style="D")
        pdf.set_xy(x + 1.5, top + 1.5)
        pdf.set_font(FONT, "B", 8)
        pdf.multi_cell(width - 3, 3.6, latin1(heading), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 6.8)
        pdf.multi_cell(width - 3, 3.0, latin1(explanation), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_xy(x + 1.5, top + height - 8)
        pdf.set_font(FONT, "B", 11)
        pdf.cell(width - 3, 6, latin1(value), align="C")
    pdf.set_y(top + height + 2)


def _tila_box(pdf: DocumentPDF, c: LoanContract) -> None:
    pdf.section("Federal Truth-in-Lending disclosures")
    _boxes(pdf, [
        ("ANNUAL PERCENTAGE RATE", "The cost of your credit as a yearly rate.", percent(c.apr)),
        ("FINANCE CHARGE", "The dollar amount the credit will cost you.", dollars(c.finance_charge)),
        ("Amount Financed", "The amount of credit provided to you or on your behalf.", dollars(c.amount_financed)),
        ("Total of Payments", "The amount you will have paid after you have made all payments as scheduled.",
         dollars(c.total_of_payments)),
        ("Total Sale Price", (f"The total cost of your purchase on credit, including your down payment of "
         f"{dollars(c.down_payment)}."), dollars(c.total_sale_price)),
    ])


def _schedule_rows(groups: tuple[PaymentGroup, ...]) -> list[tuple[str, str, str]]:
    rows = []
    for group in groups:
        when = (f"Monthly beginning {us_date(group.first_due)}" if group.monthly and group.count > 1
                else us_date(group.first_due))
        rows.append((str(group.count), money(group.amount), when))
    return rows


def _loan_schedule(pdf: DocumentPDF, c: LoanContract) -> None:
    pdf.section("Your payment schedule will be")
    pdf.grid(("Number of payments", "Amount of payments", "When payments are due"), _schedule_rows(c.payments),
             widths=(25, 25, 50), aligns=("LEFT", "RIGHT", "LEFT"))
    pdf.ln(1)
    pdf.paragraph(
        f"Late charge: if a payment is not received in full within {c.grace_days} days after it is due, you will "
        f"pay a late charge of {dollars(c.late_fee)}. Returned payment: {dollars(c.returned_payment_fee)}. "
        "Prepayment: if you pay off all your debt early, you will not have to pay a penalty. Security: you are "
        "giving a security interest in the vehicle being purchased. See the terms below for any additional "
        "information about nonpayment, default, any required repayment in full before the scheduled date, and "
        "prepayment refunds and penalties."
    )


def _itemization(pdf: DocumentPDF, c: LoanContract) -> None:
    pdf.section("Itemization of the amount financed")
    rows = [
        ("1. Cash price of the vehicle", money(c.cash_price)),
        ("2. Taxes", money(c.taxes)),
        ("3. Documentation, registration and title fees", money(c.fees)),
        ("4. Cash price, taxes and fees (1 + 2 + 3)", money(c.cash_price + c.taxes + c.fees)),
        ("5. Cash down payment", money(-c.cash_down)),
        ("6. Trade-in allowance", money(-c.trade_in_value)),
        ("7. Payoff of the trade-in, paid by the seller", money(c.trade_in_payoff)),
        ("8. Service contracts and other optional products", money(c.add_ons)),
        ("9. Amount Financed (4 + 5 + 6 + 7 + 8)", dollars(c.amount_financed)),
    ]
    pdf.key_values(rows, width=130, bold_last=True)


def _loan_terms(pdf: DocumentPDF, c: LoanContract) -> None:
    pdf.section("Terms of this contract")
    pdf.paragraph(
        f"You, the buyer (and co-buyer, if any), buy the vehicle above from the seller on credit. You promise to "
        f"pay the Amount Financed of {dollars(c.amount_financed)} with simple interest at {percent(c.note_rate)} a "
        f"year in {c.term_months} monthly payments as scheduled above. Interest accrues daily on the unpaid "
        "principal balance; payments are credited on the day they are received, first to accrued interest, then "
        "to principal, then to fees, so paying early lowers the finance charge and paying late raises it. The "
        "seller assigns this contract to the lender named at the top of this page, to whom all payments are made. "
        "You may pay off the contract at any time without penalty."
    )


def _lease_box(pdf: DocumentPDF, c: LeaseContract) -> None:
    pdf.section("Federal consumer leasing act disclosures")
    _boxes(pdf, [
        ("Amount Due at Lease Signing", "Itemized below.", dollars(c.amount_due_at_signing)),
        ("Monthly Payments", (f"Your first monthly payment of {dollars(c.monthly_payment)} is due on "
         f"{us_date(c.first_payment_date)}, followed by {c.term_months - 1} payments of "
         f"{dollars(c.monthly_payment)} due on the same day of each month. The total of your monthly payments is "
         f"{dollars(c.monthly_payment * c.term_months)}."), dollars(c.monthly_payment)),
        ("Other Charges", "Disposition fee if you do not purchase the vehicle (not part of your monthly payment).",
         dollars(c.other_charges)),
        ("Total of Payments", "The amount you will have paid by the end of the lease.", dollars(c.total_of_payments)),
    ])
    pdf.section("Itemization of amount due at lease signing")
    top = pdf.get_y()
    pdf.key_values([
        ("Capitalized cost reduction", money(c.cap_cost_reduction)),
        ("First monthly payment", money(ZERO)),
        ("Refundable security deposit", money(c.security_deposit)),
        ("Total", dollars(c.amount_due_at_signing)),
    ], width=88, bold_last=True)
    bottom = pdf.get_y()
    pdf.set_y(top)
    right = pdf.l_margin + pdf.epw - 88
    pdf.set_x(right)
    pdf.set_font(FONT, "B", 8)
    pdf.cell(88, 5, "How the amount due at signing will be paid", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.key_values([
        ("Trade-in allowance", money(c.trade_in_value)),
        ("Amount to be paid in cash", money(c.amount_due_at_signing - c.trade_in_value)),
        ("Total", dollars(c.amount_due_at_signing)),
    ], width=88, bold_last=True, x=right)
    pdf.set_y(max(bottom, pdf.get_y()))


def _lease_cost(pdf: DocumentPDF, c: LeaseContract) -> None:
    pdf.section("Your monthly payment is determined as shown below")
    pdf.key_values([
        ("Gross capitalized cost (the agreed value of the vehicle and items you pay over the lease term)",
         money(c.gross_cap_cost)),
        ("Capitalized cost reduction (cash down payment and trade-in allowance)", money(-c.cap_cost_reduction)),
        ("Adjusted capitalized cost (the amount used in calculating your base monthly payment)",
         money(c.adjusted_cap_cost)),
        ("Residual value (the value of the vehicle at the end of the lease)", money(-c.residual_value)),
        ("Depreciation and any amortized amounts", money(c.depreciation)),
        ("Rent charge", money(c.rent_charge)),
        ("Total of base monthly payments", money(c.total_of_base_payments)),
        ("Lease payments (number of months)", str(c.term_months)),
        ("Base monthly payment", money(c.base_monthly_payment)),
        (f"Monthly sales/use tax ({percent(c.sales_tax_rate * 100)})", money(c.monthly_tax)),
        ("Total monthly payment", dollars(c.monthly_payment)),
    ], bold_last=True)
    pdf.paragraph(
        f"Monthly depreciation {dollars(c.monthly_depreciation)} and monthly rent charge "
        f"{dollars(c.monthly_rent_charge)} (money factor {c.money_factor.normalize():f}). The gross capitalized "
        f"cost is the agreed value of the vehicle {dollars(c.cash_price)}, fees {dollars(c.fees)}, taxes "
        f"{dollars(c.taxes)} and the payoff of your trade-in {dollars(c.trade_in_payoff)}."
    )


def _lease_terms(pdf: DocumentPDF, c: LeaseContract) -> None:
    pdf.section("Terms of this lease")
    pdf.paragraph(
        f"Early termination: you may have to pay a substantial charge if you end this lease early. The charge may be "
        f"up to several thousand dollars. The actual charge will depend on when the lease is terminated. The earlier "
        f"you end the lease, the greater this charge is likely to be. Excessive wear and use: you may be charged "
        f"for excessive wear based on our standards for normal use and for mileage in excess of "
        f"{c.annual_mileage:,} miles per year ({c.allowed_miles:,} miles over the term) at the rate of "
        f"{dollars(c.excess_mileage_rate)} per mile. Purchase option at end of lease term: you have an option to "
        f"purchase the vehicle at the end of the lease term for {dollars(c.purchase_option_price)} (the residual "
        f"value plus a purchase option fee of {dollars(c.purchase_option_fee)}). Late charge: "
        f"{dollars(c.late_fee)} if a payment is not received within {c.grace_days} days after it is due; returned "
        f"payment {dollars(c.returned_payment_fee)}. The lessor assigns this lease to the lender named at the top "
        "of this page, to whom all payments are made."
    )


def _signatures(pdf: DocumentPDF, header: ContractHeader, lease: bool) -> None:
    customer, co_customer, dealer = _roles(lease)
    pdf.section("Signatures")
    pdf.paragraph(
        "The parties sign this contract electronically, under the federal ESIGN Act, after consenting to use "
        "electronic records and signatures. Each signature (typed name, time, IP address and device) and the "
        "SHA-256 digest of this document are recorded in the certificate of completion appended to the signed "
        "copy. Do not sign this contract before you read it or if it contains blank spaces. You are entitled to "
        "an exact copy of the contract you sign."
    )
    pdf.ln(1)
    pdf.set_font(FONT, "", 9)
    roles = (customer, co_customer)
    lines = [f"{roles[min(i, 1)]}: {buyer.name}" for i, buyer in enumerate(header.buyers)]
    lines.append(f"{dealer}: {header.seller.name}")
    for line in lines:
        pdf.cell(pdf.epw, 5.5, latin1(f"{line}  ____________________________ (to be signed electronically)"),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
