"""Support desk rules: search, identity verification, account actions, cases and corrections."""
