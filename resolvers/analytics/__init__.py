"""Portfolio analytics for ANALYST users: aggregates only, computed in SQL (GROUP BY, CASE, window
functions) over contracts, the ledger, applications and decisions, autopay plans and users, written
once for SQLite and PostgreSQL with dialect switches where the two differ (dates and months).

One module per family of figures; `scope.py` holds the filter, the contract scope every family shares
(product, dealer, region = the dealership's state, credit tier) and the SQL helpers; `export.py`
renders any report as CSV behind a short-lived signed link."""
