"""dmsPushDeal through GraphQL: a DMS's deal becomes a DRAFT application of the credential's dealership
through the origination rules; a resend with the same dealId makes nothing and answers with the same
application; other content under the same id is a CONFLICT; a refused push stores nothing; two
concurrent pushes make one application (PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from models import Applicant, AuditEvent, CreditApplication, DmsReference
from models.enums import ApplicationStatus, DmsObjectKind
from tests import factories
from tests.api.dms.builders import ERRORS, admin, as_dms, create_key
from tests.api.origination.desk import applicant, loan_deal, onboarded, vehicle

PUSH = f"""mutation($input: DmsPushDealInput!) {{ dmsPushDeal(input: $input) {{
  application {{ id number status createdAt }} created {ERRORS} }} }}"""
PIPELINE = "{ dealer { applications(first: 10) { totalCount edges { node { id number status } } } } }"


def push_variables(customer, deal_id: str, **overrides) -> dict:
    return {"input": {"dealId": deal_id, "applicant": applicant(customer), "vehicle": vehicle(),
                      "deal": loan_deal(), **overrides}}


async def push(client, key, variables: dict) -> dict:
    body = await as_dms(client, key, PUSH, variables)
    assert "errors" not in body, body
    return body["data"]["dmsPushDeal"]


async def test_a_deal_becomes_a_draft_application_of_the_dealership(client, services):
    user = await admin(client, services)
    customer = await onboarded(services, user)
    key = await create_key(client, scopes=["DEALS_WRITE"])

    done = await push(client, key, push_variables(customer, "DEAL-1001"))
    assert done["errors"] == [] and done["created"] is True
    assert done["application"]["status"] == "DRAFT" and done["application"]["number"].startswith("A")
    row = await CreditApplication.get()
    assert row.dealership_id == user.dealership_id and row.created_by_id == user.id
    assert row.status == ApplicationStatus.DRAFT and row.vin == "1HGCM82633A004352"
    assert [a.customer_id for a in await Applicant.all()] == [customer.id]
    reference = await DmsReference.get()
    assert (reference.kind, reference.external_id, reference.object_id) == (DmsObjectKind.DEAL, "DEAL-1001", row.id)
    assert await AuditEvent.filter(action="application.created").count() == 1
    pushed = await AuditEvent.get(action="dms.deal_pushed")
    assert pushed.details["external_id"] == "DEAL-1001" and pushed.details["object_id"] == row.id

    # The dealer desk sees it in the pipeline, with the same id.
    desk = (await client.execute(PIPELINE))["dealer"]["applications"]
    assert [e["node"]["id"] for e in desk["edges"]] == [done["application"]["id"]]


async def test_a_resend_with_the_same_id_creates_nothing_and_returns_the_same_application(client, services):
    user = await admin(client, services)
    customer = await onboarded(services, user)
    key = await create_key(client)
    first = await push(client, key, push_variables(customer, "DEAL-1"))
    audit_count = await AuditEvent.all().count()

    # The same content, amounts written differently: the same deal.
    same = push_variables(customer, " DEAL-1 ")
    same["input"]["applicant"]["monthlyIncome"] = "6500"
    again = await push(client, key, same)
    assert again["errors"] == [] and again["created"] is False
    assert again["application"] == first["application"]
    assert await CreditApplication.all().count() == 1 and await DmsReference.all().count() == 1
    assert await AuditEvent.all().count() == audit_count

    # Another id is another deal.
    other = await push(client, key, push_variables(customer, "DEAL-2"))
    assert other["created"] is True and other["application"]["id"] != first["application"]["id"]


async def test_the_same_id_with_other_content_is_a_conflict(client, services):
    user = await admin(client, services)
    customer = await onboarded(services, user)
    key = await create_key(client)
    await push(client, key, push_variables(customer, "DEAL-1"))
    changed = await push(client, key, push_variables(customer, "DEAL-1", deal=loan_deal(cashPrice="5100.00")))
    assert [(e["code"], e["field"]) for e in changed["errors"]] == [("CONFLICT", ["dealId"])]
    assert changed["application"] is None and changed["created"] is False
    assert await CreditApplication.all().count() == 1
    assert (await CreditApplication.get()).cash_price == 5000


async def test_a_refused_deal_stores_nothing_and_can_be_sent_again_corrected(client, services):
    user = await admin(client, services)
    customer = await onboarded(services, user)
    stranger = await factories.customer(services, ssn="987654321")  # never onboarded here
    key = await create_key(client)

    refused = await push(client, key, push_variables(stranger, "DEAL-1"))
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("NOT_FOUND", ["applicant", "customerId"])]
    bad_vin = await push(client, key, push_variables(customer, "DEAL-1", vehicle=vehicle(vin="SHORT")))
    assert [e["field"] for e in bad_vin["errors"]] == [["vehicle", "vin"]]
    bad_id = await push(client, key, push_variables(customer, "DEAL 1"))
    assert [(e["code"], e["field"]) for e in bad_id["errors"]] == [("INVALID", ["dealId"])]
    assert await CreditApplication.all().count() == 0 and await DmsReference.all().count() == 0
    assert await AuditEvent.filter(action__startswith="dms.").count() == 0

    corrected = await push(client, key, push_variables(customer, "DEAL-1"))
    assert corrected["errors"] == [] and corrected["created"] is True


async def test_ids_are_per_dealership(client, services):
    user = await admin(client, services)
    key = await create_key(client)
    mine = await push(client, key, push_variables(await onboarded(services, user), "DEAL-1"))

    other_admin = await admin(client, services, await factories.dealership(), username="other.admin")
    other_key = await create_key(client)
    theirs = await push(client, other_key, push_variables(await onboarded(services, other_admin, ssn="111223333"),
                                                          "DEAL-1"))
    assert theirs["created"] is True and theirs["application"]["id"] != mine["application"]["id"]
    # A customer onboarded only at the first dealership is not the second's to push.
    assert await CreditApplication.filter(dealership_id=other_admin.dealership_id).count() == 1


@pytest.mark.postgres_only
async def test_two_concurrent_pushes_make_one_application(client, services):
    user = await admin(client, services)
    customer = await onboarded(services, user)
    key = await create_key(client)
    variables = push_variables(customer, "DEAL-RACE")
    results = await asyncio.gather(*(push(client, key, variables) for _ in range(3)))
    assert all(r["errors"] == [] for r in results), results
    assert sorted(r["created"] for r in results) == [False, False, True]
    assert len({r["application"]["id"] for r in results}) == 1
    assert await CreditApplication.all().count() == 1 and await DmsReference.all().count() == 1
