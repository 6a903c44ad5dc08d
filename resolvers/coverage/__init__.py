"""Vehicle coverage: add-ons sold with a deal, coverage products on contracts, their status, and the
daily expiry notices (issue 10)."""
