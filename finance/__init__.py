"""Pure loan and lease math: Decimal in, Decimal out, no I/O and no imports from the rest of autofin."""
