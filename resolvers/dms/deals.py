"""A deal pushed by a DMS becomes a DRAFT credit application of the credential's dealership, made by
the origination rules themselves (resolvers/origination/applications.py `create_application`: the
same checks, the applicants must be customers the dealership onboarded with identity verified).
Consent and submission stay at the dealer desk, where the applicant is (FCRA consent is recorded
in person, with the desk's network address).

Idempotent by (dealership, DEAL, dealId): a resend with the same content makes nothing and answers
with the application made first; the same dealId with other content is a CONFLICT.
"""

from __future__ import annotations

from auth.audit import Origin
from models import ApiCredential, CreditApplication
from models.enums import DmsObjectKind
from resolvers.dms import feed
from resolvers.errors import Problem
from resolvers.origination import applications as origination
from resolvers.origination.quotes import DealTerms
from service.container import Services


async def push_deal(services: Services, *, credential: ApiCredential, origin: Origin, deal_id: str,
                    applicant: origination.ApplicantDetails, co_applicant: origination.ApplicantDetails | None,
                    vehicle: origination.VehicleDetails, deal: DealTerms) -> tuple[CreditApplication | None,
                                                                                     bool, tuple[Problem, ...]]:
    """(the application, whether this push made it, problems)."""
    problem = feed.external_id_problem(DmsObjectKind.DEAL, deal_id) or await feed.rate_problem(services, credential)
    if problem:
        return None, False, (problem,)
    dealer = feed.acting_dealer(credential)

    async def make(connection) -> tuple[int | None, tuple[Problem, ...]]:
        # create_application opens its own transaction: inside this one it is a savepoint of it.
        outcome = await origination.create_application(
            services, dealer=dealer, origin=origin, applicant=applicant, co_applicant=co_applicant, vehicle=vehicle,
            deal=deal)
        return (outcome.application.id if outcome.application else None), outcome.problems

    content = {"applicant": applicant, "co_applicant": co_applicant, "vehicle": vehicle, "deal": deal}
    pushed = await feed.push_once(services, credential=credential, origin=origin, kind=DmsObjectKind.DEAL,
                                  external_id=deal_id, content=content, make=make)
    if pushed.problems:
        return None, False, pushed.problems
    application = await CreditApplication.get(id=pushed.object_id, dealership_id=credential.dealership_id)
    return application, pushed.created, ()
