"""Service history: visits a dealer's service department records for a VIN (by hand or pushed by its
DMS), the customer's history on their vehicle, and the maintenance due from the make's schedule."""
