"""Lease output types: Regulation M figures, mileage and odometer history, end-of-term options.
Filled from resolvers/servicing/leases.py (finance.lease); they compute nothing themselves.
Readings, vehicle and ledger come from the request's DataLoaders, so a list of leases costs no
query per lease."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from strawberry.types import Info

from finance.lease import LeaseDisclosure as LeaseDisclosureFigures
from graph.scalars import Money, money
from graph.servicing.figures import AssumptionType
from models import Contract, OdometerReading
from models import enums as model_enums
from resolvers.servicing import leases

OdometerSource = strawberry.enum(
    model_enums.OdometerSource,
    description="Who took an odometer reading: ORIGINATION (at signing), CUSTOMER (reported by you), SERVICE "
    "(a service visit).",
)


@strawberry.type(name="OdometerReading", description="An odometer reading of a leased vehicle.")
class OdometerReadingType:
    read_on: date = strawberry.field(description="The day of the reading.")
    miles: int = strawberry.field(description="The odometer in whole miles.")
    source: OdometerSource = strawberry.field(description="Who took it.")  # type: ignore[valid-type]

    @classmethod
    def from_model(cls, row: OdometerReading) -> OdometerReadingType:
        return cls(read_on=row.read_on, miles=row.miles, source=row.source)


@strawberry.type(description="The Regulation M (12 CFR 1013.4) disclosure of a closed-end vehicle lease.")
class LeaseDisclosure:
    gross_cap_cost: Money = strawberry.field(description="Gross capitalized cost: the agreed value of the vehicle "
                                                         "plus items paid over the lease.")
    cap_cost_reduction: Money = strawberry.field(description="Capitalized cost reduction (down payment, trade-in, "
                                                             "rebates).")
    adjusted_cap_cost: Money = strawberry.field(description="Gross capitalized cost − capitalized cost reduction.")
    residual_value: Money = strawberry.field(description="The vehicle's value at the end of the lease, as set in "
                                                         "the contract.")
    depreciation: Money = strawberry.field(description="Adjusted capitalized cost − residual value: the value "
                                                       "you pay for through the base payments.")
    rent_charge: Money = strawberry.field(description="Total rent charge over the term: total of base payments − "
                                                      "depreciation.")
    total_of_base_payments: Money = strawberry.field(description="Depreciation + rent charge (base payment × term).")
    term_months: int = strawberry.field(description="Number of monthly payments.")
    monthly_depreciation: Money = strawberry.field(description="Depreciation part of each base payment.")
    monthly_rent_charge: Money = strawberry.field(description="Rent charge part of each base payment.")
    base_monthly_payment: Money = strawberry.field(description="Monthly depreciation + monthly rent charge.")
    monthly_tax: Money = strawberry.field(description="Sales tax on each base payment.")
    total_monthly_payment: Money = strawberry.field(description="Base monthly payment + monthly tax.")
    money_factor: Decimal = strawberry.field(description="The lease rate (money factor).")
    apr_equivalent: Decimal = strawberry.field(description="Money factor × 2400, in percent: an approximate APR "
                                                           "(leases disclose no APR).")
    amount_due_at_signing: Money = strawberry.field(description="Due at signing: the capitalized cost reduction "
                                                                "(the first monthly payment is due a month later).")
    other_charges: Money = strawberry.field(description="Other charges payable under the lease (the disposition "
                                                        "fee if you return the vehicle).")
    total_of_payments: Money = strawberry.field(description="Amount due at signing + all monthly payments + other "
                                                            "charges.")

    @classmethod
    def from_finance(cls, d: LeaseDisclosureFigures) -> LeaseDisclosure:
        return cls(
            gross_cap_cost=money(d.gross_cap_cost), cap_cost_reduction=money(d.cap_cost_reduction),
            adjusted_cap_cost=money(d.adjusted_cap_cost), residual_value=money(d.residual_value),
            depreciation=money(d.depreciation), rent_charge=money(d.rent_charge_total),
            total_of_base_payments=money(d.total_of_base_payments), term_months=d.term_months,
            monthly_depreciation=money(d.monthly_depreciation), monthly_rent_charge=money(d.monthly_rent_charge),
            base_monthly_payment=money(d.base_monthly_payment), monthly_tax=money(d.monthly_tax),
            total_monthly_payment=money(d.total_monthly_payment), money_factor=d.money_factor,
            apr_equivalent=d.apr_equivalent, amount_due_at_signing=money(d.amount_due_at_signing),
            other_charges=money(d.other_charges), total_of_payments=money(d.total_of_payments),
        )


@strawberry.type(description="Where the mileage is heading at the current pace (from the odometer readings).")
class MileageProjection:
    as_of: date = strawberry.field(description="The business date of the projection.")
    miles_driven: int = strawberry.field(description="Miles since delivery, by the latest reading.")
    last_reading_date: date | None = strawberry.field(description="Day of the latest reading after delivery; null "
                                                                  "when there is none yet (no pace to project).")
    average_miles_per_day: Decimal = strawberry.field(description="Miles per day since delivery (2 places).")
    projected_miles_at_maturity: int = strawberry.field(description="Miles driven at the end of the term at this "
                                                                    "pace.")
    projected_odometer_at_maturity: int = strawberry.field(description="The same as an odometer reading.")
    projected_excess_miles: int = strawberry.field(description="Projected miles over the allowance (0 if none).")
    projected_excess_charge: Money = strawberry.field(description="Projected excess miles × the excess mileage "
                                                                  "rate.")


@strawberry.type(description="The lease's mileage allowance, odometer history and projection.")
class LeaseMileage:
    annual_allowance: int = strawberry.field(description="Miles per year included in the lease.")
    allowed_miles_total: int = strawberry.field(description="Miles included over the whole term.")
    excess_mileage_rate: Money = strawberry.field(description="Charge per mile over the allowance at lease end.")
    start_odometer: int = strawberry.field(description="The odometer at delivery.")
    readings: list[OdometerReadingType] = strawberry.field(description="Every reading, oldest first (delivery "
                                                                       "included).")
    projection: MileageProjection = strawberry.field(description="Projection from the readings.")


@strawberry.type(description="An estimate of what ending the lease today would cost, with its assumptions.")
class EarlyTerminationEstimate:
    as_of: date = strawberry.field(description="The assumed termination date (the business date).")
    remaining_payments: int = strawberry.field(description="Monthly payments due on or after that date.")
    adjusted_lease_balance: Money = strawberry.field(description="Remaining base payments and the residual, "
                                                                 "discounted at the lease rate (constant yield).")
    realized_value: Money = strawberry.field(description="What the vehicle is assumed to bring.")
    disposition_fee: Money = strawberry.field(description="Fee for returning the vehicle.")
    early_termination_fee: Money = strawberry.field(description="Contract fee for ending early (none on these "
                                                                "contracts).")
    unpaid_amounts: Money = strawberry.field(description="Past-due payments and unpaid fees.")
    estimate: Money = strawberry.field(description="Estimated amount you would owe (never below 0): balance − "
                                                   "realized value + fees + unpaid amounts. Excess wear, mileage and "
                                                   "taxes come on top.")
    assumptions: list[AssumptionType] = strawberry.field(description="What the estimate rests on.")


@strawberry.type(description="Your options at the end of the lease.")
class LeaseEndOfTerm:
    row: strawberry.Private[Contract]
    purchase_option_price: Money = strawberry.field(description="Price to buy the vehicle at lease end: residual "
                                                                "value + purchase option fee.")
    residual_value: Money = strawberry.field(description="Residual value.")
    purchase_option_fee: Money = strawberry.field(description="Fee added to the residual when you buy.")
    disposition_fee: Money = strawberry.field(description="Fee when you return the vehicle instead.")

    @strawberry.field(
        description="Estimate of ending the lease early today (null once no payment remains). `realizedValue`: "
        "what the vehicle would bring (an appraisal or offer); default its scheduled book value."
    )
    async def early_termination(self, info: Info, realized_value: Decimal | None = None
                                ) -> EarlyTerminationEstimate | None:
        today = info.context.services.clock.today()
        state = await info.context.loaders.contract_states.load((self.row, today))
        quote = leases.early_termination(self.row, state, realized_value)
        if quote is None:
            return None
        f = quote.figures
        return EarlyTerminationEstimate(
            as_of=quote.as_of, remaining_payments=quote.remaining_payments,
            adjusted_lease_balance=money(f.adjusted_lease_balance), realized_value=money(f.realized_value),
            disposition_fee=money(f.disposition_fee), early_termination_fee=money(f.early_termination_fee),
            unpaid_amounts=money(f.unpaid_amounts), estimate=money(f.estimate),
            assumptions=AssumptionType.many(quote.assumptions),
        )


@strawberry.type(description="Everything about a lease: Regulation M figures, mileage, end-of-term options.")
class LeaseDetails:
    row: strawberry.Private[Contract]

    @strawberry.field(description="The Regulation M disclosure figures.")
    def disclosure(self) -> LeaseDisclosure:
        return LeaseDisclosure.from_finance(leases.disclosure(self.row))

    @strawberry.field(description="Mileage allowance, odometer readings and the projection at maturity.")
    async def mileage(self, info: Info) -> LeaseMileage:
        contract = self.row
        readings = await info.context.loaders.odometer.load(contract.id)
        vehicle = await info.context.loaders.vehicles.load(contract.vehicle_id)
        today = info.context.services.clock.today()
        p = leases.projection(contract, vehicle, readings, today)
        start_miles = leases.start_reading(contract, vehicle, list(readings))[1]
        return LeaseMileage(
            annual_allowance=contract.annual_mileage_allowance, allowed_miles_total=p.allowed_miles_total,
            excess_mileage_rate=money(contract.excess_mileage_rate or 0), start_odometer=start_miles,
            readings=[OdometerReadingType.from_model(r) for r in readings],
            projection=MileageProjection(
                as_of=max(today, contract.contract_date), miles_driven=p.miles_driven,
                last_reading_date=p.last_reading_date, average_miles_per_day=p.average_miles_per_day,
                projected_miles_at_maturity=p.projected_miles_at_maturity,
                projected_odometer_at_maturity=p.projected_odometer_at_maturity,
                projected_excess_miles=p.projected_excess_miles,
                projected_excess_charge=money(p.projected_excess_charge),
            ),
        )

    @strawberry.field(description="Buy or return at the end of the term, and an early termination estimate.")
    def end_of_term(self) -> LeaseEndOfTerm:
        options = leases.end_of_term_options(self.row)
        return LeaseEndOfTerm(row=self.row, purchase_option_price=money(options.purchase_option_price),
                              residual_value=money(options.residual_value),
                              purchase_option_fee=money(options.purchase_option_fee),
                              disposition_fee=money(options.disposition_fee))
