"""The dealer data feed: API credentials of a dealership's DMS, and the deals and service visits it
pushes (idempotent by the DMS's own ids, rate limited per credential)."""
