"""DataLoaders for decisions and credit reports by application id: a page of applications asking
for their `decision` or `creditReports` costs one query, not one per application. The callers pass
ids of applications the viewer may already see (graph/origination/types.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from models import ApplicationDecision, CreditReport


def latest_decision_loader() -> DataLoader[int, ApplicationDecision | None]:
    async def load(application_ids: Sequence[int]):
        latest: dict[int, ApplicationDecision] = {}
        rows = await (ApplicationDecision.filter(application_id__in=list(application_ids))
                      .select_related("rule_set").order_by("application_id", "-id"))
        for row in rows:
            latest.setdefault(row.application_id, row)
        return [latest.get(i) for i in application_ids]

    return DataLoader(load_fn=load)


def credit_reports_loader() -> DataLoader[int, list[CreditReport]]:
    """Every report pulled for the application's applicants, newest first."""

    async def load(application_ids: Sequence[int]):
        grouped: dict[int, list[CreditReport]] = defaultdict(list)
        rows = await (CreditReport.filter(applicant__application_id__in=list(application_ids))
                      .select_related("applicant").order_by("-pulled_at", "-id"))
        for row in rows:
            grouped[row.applicant.application_id].append(row)
        return [grouped.get(i, []) for i in application_ids]

    return DataLoader(load_fn=load)
