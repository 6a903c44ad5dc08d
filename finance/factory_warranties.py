"""Factory (new-vehicle limited) warranty terms per make: basic ("bumper to bumper") and powertrain,
in months and odometer miles from the in-service date, whichever comes first.

ILLUSTRATIVE DATA: the usual published terms of these makes' US new-vehicle warranties at the time
of writing, rounded to what a customer portal shows. They are not read from the makers and must not
be relied on; a real deployment loads the captive's own table per make, model year and model.
`None` miles means unlimited miles. Keys are makes in upper case (see `terms_for`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WarrantyTerm:
    months: int
    miles: int | None  # odometer miles at which it ends; None: unlimited


@dataclass(frozen=True)
class FactoryWarranty:
    basic: WarrantyTerm
    powertrain: WarrantyTerm


def _terms(basic: tuple[int, int | None], powertrain: tuple[int, int | None]) -> FactoryWarranty:
    return FactoryWarranty(WarrantyTerm(*basic), WarrantyTerm(*powertrain))


FACTORY_WARRANTIES: dict[str, FactoryWarranty] = {
    # The makes of the demo and benchmark data first.
    "TOYOTA": _terms((36, 36_000), (60, 60_000)),
    "HONDA": _terms((36, 36_000), (60, 60_000)),
    "FORD": _terms((36, 36_000), (60, 60_000)),
    "TESLA": _terms((48, 50_000), (96, 120_000)),  # powertrain: battery and drive unit (Long Range figures)
    "SUBARU": _terms((36, 36_000), (60, 60_000)),
    "HYUNDAI": _terms((60, 60_000), (120, 100_000)),  # powertrain 10 years / 100,000 miles, original owner
    "MAZDA": _terms((36, 36_000), (60, 60_000)),
    "CHEVROLET": _terms((36, 36_000), (60, 60_000)),
    # A few more common makes.
    "KIA": _terms((60, 60_000), (120, 100_000)),
    "NISSAN": _terms((36, 36_000), (60, 60_000)),
    "VOLKSWAGEN": _terms((48, 50_000), (48, 50_000)),
    "BMW": _terms((48, 50_000), (48, 50_000)),
    "JEEP": _terms((36, 36_000), (60, 60_000)),
}


def terms_for(make: str) -> FactoryWarranty | None:
    """The make's terms (case and surrounding spaces ignored), or None for a make not in the table."""
    return FACTORY_WARRANTIES.get(make.strip().upper())
