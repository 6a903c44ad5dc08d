"""Retail installment contracts (loans) and leases, with the terms servicing runs on.

Amounts are Decimal in Python and integer cents in the database (models/fields.py);
rates are exact decimals (APR in percent to 4 places, money factor to 6).
"""

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from models.enums import ContractKind, ContractStatus
from models.fields import MoneyField


class Contract(Model):
    id = fields.BigIntField(primary_key=True)
    number = fields.CharField(max_length=16, unique=True)
    kind = fields.CharEnumField(ContractKind, max_length=8)
    status = fields.CharEnumField(ContractStatus, max_length=12, default=ContractStatus.ACTIVE)
    customer = fields.ForeignKeyField(
        "autofin.Customer", related_name="contracts", on_delete=fields.RESTRICT
    )
    co_customer = fields.ForeignKeyField(
        "autofin.Customer", related_name="co_contracts", null=True, on_delete=fields.RESTRICT
    )
    vehicle = fields.ForeignKeyField("autofin.Vehicle", related_name="contracts", on_delete=fields.RESTRICT)
    dealership = fields.ForeignKeyField(
        "autofin.Dealership", related_name="contracts", on_delete=fields.RESTRICT
    )

    contract_date = fields.DateField()
    first_payment_date = fields.DateField()
    maturity_date = fields.DateField()
    term_months = fields.SmallIntField()
    # Loan: the amount financed. Lease: the adjusted capitalized cost.
    amount_financed = MoneyField()
    # The monthly amount billed (for a lease, including monthly sales tax).
    scheduled_payment = MoneyField()

    # Loan terms.
    apr = fields.DecimalField(max_digits=7, decimal_places=4, null=True)

    # Lease terms (Regulation M).
    gross_cap_cost = MoneyField(null=True)
    cap_cost_reduction = MoneyField(null=True)
    residual_value = MoneyField(null=True)
    money_factor = fields.DecimalField(max_digits=8, decimal_places=6, null=True)
    # A fraction, not percent: 0.0825 is 8.25 % (APR above is in percent, as disclosed).
    sales_tax_rate = fields.DecimalField(max_digits=6, decimal_places=4, null=True)
    annual_mileage_allowance = fields.IntField(null=True)
    excess_mileage_rate = MoneyField(null=True)
    purchase_option_fee = MoneyField(null=True)
    disposition_fee = MoneyField(null=True)

    # Servicing terms.
    late_fee = MoneyField()
    returned_payment_fee = MoneyField()
    # Days after a due date before a late fee is assessed.
    grace_days = fields.SmallIntField(default=10)
    day_count_basis = fields.CharField(max_length=16, default="ACTUAL_365")
    payment_allocation = fields.CharField(max_length=64, default="INTEREST,PRINCIPAL,FEES")
    # Approved payment-plan changes, oldest first, as finance.schedule_changes.Change fields. A copy
    # of the append-only schedule_changes rows (written in the same transaction), kept here so the
    # installments of any number of contracts are known with no query beyond the contracts.
    applied_changes = fields.JSONField(null=True)  # null: none (SQLite cannot add a NOT NULL JSON column)
    # The day the contract left ACTIVE (paid off, matured, terminated or charged off); null while active.
    closed_on = fields.DateField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "contracts"
        # A customer's contracts (as borrower or co-buyer) and a dealership's: found by index, not by a
        # scan of every contract (the dashboard asks on every request).
        indexes = (("customer_id",), ("co_customer_id",), ("dealership_id",))
        constraints = (
            CheckConstraint(check="term_months BETWEEN 1 AND 96", name="contracts_term_range"),
            CheckConstraint(check="amount_financed >= 0", name="contracts_amount_financed_non_negative"),
            CheckConstraint(check="scheduled_payment >= 0", name="contracts_payment_non_negative"),
            CheckConstraint(check="late_fee >= 0 AND returned_payment_fee >= 0", name="contracts_fees_non_negative"),
            CheckConstraint(check="first_payment_date > contract_date", name="contracts_first_payment_after_signing"),
            CheckConstraint(
                check=(
                    "(kind = 'LOAN' AND apr IS NOT NULL AND apr >= 0)"
                    " OR (kind = 'LEASE' AND money_factor IS NOT NULL AND money_factor >= 0"
                    " AND residual_value IS NOT NULL AND residual_value >= 0"
                    " AND gross_cap_cost IS NOT NULL AND gross_cap_cost >= 0"
                    " AND annual_mileage_allowance IS NOT NULL AND annual_mileage_allowance > 0)"
                ),
                name="contracts_terms_match_kind",
            ),
            CheckConstraint(
                check="co_customer_id IS NULL OR co_customer_id <> customer_id",
                name="contracts_co_customer_distinct",
            ),
        )
