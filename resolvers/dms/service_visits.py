"""A repair order pushed by a DMS becomes a service visit recorded by the credential's dealership,
through the service rules themselves (resolvers/service/visits.py `record_service_visit`, the same
checks as the dealer desk's recordServiceVisit; the visit names the credential, not a user).

Idempotent by (dealership, REPAIR_ORDER, repairOrderId): a resend with the same content records
nothing and answers with the visit recorded first; the same id with other content is a CONFLICT.
"""

from __future__ import annotations

from auth.audit import Origin
from finance.vin import normalize_vin
from models import ApiCredential, ServiceVisit
from models.enums import DmsObjectKind
from resolvers.dms import feed
from resolvers.errors import Problem
from resolvers.service import visits
from service.container import Services


async def push_service_visit(services: Services, *, credential: ApiCredential, origin: Origin,
                             repair_order_id: str, vin: str, visit: visits.ServiceVisitDetails
                             ) -> tuple[ServiceVisit | None, bool, tuple[Problem, ...]]:
    """(the visit, with its vehicle, whether this push recorded it, problems)."""
    problem = (feed.external_id_problem(DmsObjectKind.REPAIR_ORDER, repair_order_id)
               or await feed.rate_problem(services, credential))
    if problem:
        return None, False, (problem,)

    async def make(connection) -> tuple[int | None, tuple[Problem, ...]]:
        try:
            row = await visits.record_service_visit(
                services, dealership_id=credential.dealership_id, vin=vin, visit=visit, recorded_by=None,
                credential_id=credential.id, using_db=connection, origin=origin)
        except visits.ServiceVisitRefused as refused:
            return None, refused.problems
        return row.id, ()

    content = {"vin": normalize_vin(vin or ""), "visit": visit}
    pushed = await feed.push_once(services, credential=credential, origin=origin, kind=DmsObjectKind.REPAIR_ORDER,
                                  external_id=repair_order_id, content=content, make=make)
    if pushed.problems:
        return None, False, pushed.problems
    row = await ServiceVisit.get(id=pushed.object_id, dealership_id=credential.dealership_id) \
        .select_related("vehicle")
    return row, pushed.created, ()
