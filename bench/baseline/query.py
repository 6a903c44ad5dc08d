"""The canonical dashboard query of the benchmarks, shared by the harness (wrk's request body) and
the floor (`bench/baseline/app.py` answers exactly its `data`).

What a customer's portal home page asks on sign-in: each contract's number, the next installment
(date and amount), the balance today and the five newest ledger transactions. `first: 50` so the
scaling scenario's 50-contract customer sees every contract on one page (the default page is 20).
"""

DASHBOARD_QUERY = """query Dashboard {
  viewer {
    customer {
      firstName
      contracts(first: 50) {
        edges {
          node {
            id
            number
            nextDue { date amount { amount } }
            balance { amount }
            recentTransactions(first: 5) { id kind effectiveDate amount { amount } }
          }
        }
      }
    }
  }
}"""

# The number of contracts a dashboard page holds (the `first` above).
DASHBOARD_PAGE_SIZE = 50
