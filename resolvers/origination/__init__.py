"""Origination: dealer onboarding, financing applications, decisioning, underwriting, e-signature
and funding. The rules live here; graph/origination/ only maps them to the schema."""
