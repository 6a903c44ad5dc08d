"""The adverse action notice to the applicant of a declined application (ECOA / Regulation B,
12 CFR 1002.9(a)(2) and (b); FCRA §615(a) when a credit report was used).

The notice goes to the primary applicant (1002.9(f): one notice on a joint application is enough)
by email, and states the principal reasons, the ECOA notice, and, when a report was used, the
bureau, the applicant's own credit score and their rights to a free report and to dispute it. It
never carries another applicant's data: a co-applicant's score is theirs.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from mail import notify as mail
from models import Applicant, ApplicationDecision, CreditApplication, CreditReport, Dealership
from models.enums import ApplicantRole
from service.container import Services

SCORE_RANGE = "300 to 850"
# 12 CFR 1002.9(b)(1): the ECOA notice, with the agency that administers compliance for this creditor.
ECOA_NOTICE = (
    "The Federal Equal Credit Opportunity Act prohibits creditors from discriminating against credit applicants on "
    "the basis of race, color, religion, national origin, sex, marital status, age (provided the applicant has the "
    "capacity to enter into a binding contract); because all or part of the applicant's income derives from any "
    "public assistance program; or because the applicant has in good faith exercised any right under the Consumer "
    "Credit Protection Act. The Federal agency that administers compliance with this law concerning this creditor is "
    "the Consumer Financial Protection Bureau, 1700 G Street NW, Washington, DC 20552."
)


async def send_adverse_action_notice(services: Services, application: CreditApplication,
                                     decision: ApplicationDecision, *, using_db: BaseDBAsyncClient) -> None:
    applicant = await (Applicant.filter(application_id=application.id, role=ApplicantRole.APPLICANT)
                       .using_db(using_db).select_related("customer").first())
    if applicant is None:
        return
    report = await (CreditReport.filter(applicant_id=applicant.id).using_db(using_db)
                    .order_by("-pulled_at", "-id").first())
    dealership = await Dealership.get(id=application.dealership_id).using_db(using_db)
    context = {
        "first_name": applicant.customer.first_name, "number": application.number,
        "vehicle": f"{application.vehicle_year} {application.vehicle_make} {application.vehicle_model}",
        "dealership": dealership.name, "decided_on": decision.created_at.date().isoformat(),
        "reasons": [item["text"] for item in decision.reasons or []],
        "bureau": report.bureau if report else "", "score": report.score if report else None,
        "score_range": SCORE_RANGE, "ecoa_notice": ECOA_NOTICE,
    }
    await mail.send(services, "adverse_action_notice", applicant.customer.email, context, using_db=using_db)
