"""Communication preferences through /graphql, and the `wants` helper other features call."""

from __future__ import annotations

from datetime import timedelta

from models import AuditEvent, CommunicationPreferences
from models.enums import Role
from resolvers.identity.preferences import Category, paperless, wants
from tests import factories

PREFERENCES = """{ viewer { communicationPreferences {
  paymentReminders paymentConfirmations statementsReady marketing paperlessStatements securityAlerts updatedAt
} } }"""
UPDATE = """mutation($input: UpdateCommunicationPreferencesInput!) {
  updateCommunicationPreferences(input: $input) {
    communicationPreferences { paymentReminders marketing paperlessStatements securityAlerts updatedAt }
    errors { code message field }
  }
}"""
DEFAULTS = {"paymentReminders": True, "paymentConfirmations": True, "statementsReady": True, "marketing": False,
            "paperlessStatements": False, "securityAlerts": True, "updatedAt": None}


async def signed_in_customer(client, services, username: str = "carla"):
    owner = await factories.customer(services)
    user = await factories.user(services, username, Role.CUSTOMER, customer=owner)
    await client.login(username, factories.TEST_PASSWORD)
    return user


async def test_defaults_are_shown_without_writing_anything(client, services):
    await signed_in_customer(client, services)
    data = await client.execute(PREFERENCES)
    assert data["viewer"]["communicationPreferences"] == DEFAULTS
    assert await CommunicationPreferences.all().count() == 0


async def test_update_changes_only_the_fields_given_and_is_audited(client, services, clock):
    carla = await signed_in_customer(client, services)
    clock.advance(timedelta(minutes=1))
    data = await client.execute(UPDATE, {"input": {"marketing": True, "paperlessStatements": True}})
    payload = data["updateCommunicationPreferences"]
    assert payload["errors"] == []
    assert payload["communicationPreferences"] == {
        "paymentReminders": True, "marketing": True, "paperlessStatements": True, "securityAlerts": True,
        "updatedAt": "2026-11-02T15:01:00+00:00",
    }
    event = await AuditEvent.get(action="preferences.updated")
    assert event.subject_id == carla.id
    assert event.details == {"changed": {"marketing": True, "paperless_statements": True}}

    data = await client.execute(UPDATE, {"input": {"paymentReminders": False, "marketing": None}})
    after = (await client.execute(PREFERENCES))["viewer"]["communicationPreferences"]
    assert after["paymentReminders"] is False and after["marketing"] is True  # null keeps the value
    assert await CommunicationPreferences.filter(user_id=carla.id).count() == 1

    # Repeating the same values changes nothing and writes no event.
    await client.execute(UPDATE, {"input": {"paymentReminders": False}})
    assert await AuditEvent.filter(action="preferences.updated").count() == 2


async def test_security_alerts_cannot_be_turned_off(client, services):
    await signed_in_customer(client, services)
    # There is no input field for them: asking is a request error, and nothing changes.
    body = (await client.post("mutation { updateCommunicationPreferences(input: {securityAlerts: false}) "
                              "{ errors { code } } }")).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "securityAlerts" in body["errors"][0]["message"]
    assert (await client.execute(PREFERENCES))["viewer"]["communicationPreferences"]["securityAlerts"] is True


async def test_each_user_has_their_own_preferences(client, services):
    await signed_in_customer(client, services, "carla")
    await client.execute(UPDATE, {"input": {"statementsReady": False}})
    await signed_in_customer(client, services, "dave")
    data = await client.execute(PREFERENCES)
    assert data["viewer"]["communicationPreferences"]["statementsReady"] is True


async def test_signed_out_callers_cannot_update(client):
    body = (await client.post(UPDATE, {"input": {"marketing": True}})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_wants_helper_follows_the_preferences(client, services):
    carla = await signed_in_customer(client, services)
    assert await wants(carla.id, Category.PAYMENT_REMINDERS) is True
    assert await wants(carla.id, "marketing") is False
    assert await paperless(carla.id) is False
    await client.execute(UPDATE, {"input": {"paymentReminders": False, "marketing": True,
                                            "paperlessStatements": True}})
    assert await wants(carla.id, Category.PAYMENT_REMINDERS) is False
    assert await wants(carla.id, Category.MARKETING) is True
    assert await wants(carla.id, Category.STATEMENTS_READY) is True
    assert await paperless(carla.id) is True
    # Security alerts: always, whatever is stored (and for a user with no row at all).
    assert await wants(carla.id, Category.SECURITY_ALERTS) is True
    assert await wants(987654, "security_alerts") is True
