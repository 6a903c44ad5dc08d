"""Your own security events through /graphql, and `autofin verify-audit` over the same log."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from strawberry.relay import to_base64

from auth import audit
from models import AuditEvent
from models.enums import Role
from tests import factories

REPO = Path(__file__).resolve().parents[3]
EVENTS = """query($first: Int, $after: String) {
  viewer { securityEvents(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id action occurredAt description byStaff ip userAgent } }
  } }
}"""


async def customer(services, username: str):
    owner = await factories.customer(services)
    return await factories.user(services, username, Role.CUSTOMER, customer=owner)


async def test_viewer_reads_only_their_own_events_newest_first(client, services, clock):
    carla = await customer(services, "carla")
    mallory = await customer(services, "mallory")
    admin = await factories.user(services, "root", Role.ADMIN)
    await audit.record("login.failed", clock=clock, origin=audit.Origin("203.0.113.7", "Evil/1.0"),
                       actor=carla, subject=carla)
    clock.advance(timedelta(minutes=1))
    await audit.record("support.viewed_account", clock=clock, origin=audit.Origin("10.1.1.1", "Desk/1.0"),
                       actor=admin, subject=carla)
    clock.advance(timedelta(minutes=1))
    await audit.record("something.new", clock=clock, subject=carla)  # a system event of a kind not mapped yet
    await audit.record("password.changed", clock=clock, actor=mallory, subject=mallory)
    clock.advance(timedelta(minutes=1))
    client.headers["user-agent"] = "Carla/1.0"
    await client.login("carla", factories.TEST_PASSWORD)
    clock.advance(timedelta(minutes=1))
    await client.execute("mutation { revokeAllSessions { revokedCount errors { code } } }")

    data = (await client.execute(EVENTS, {"first": 50}))["viewer"]["securityEvents"]
    nodes = [edge["node"] for edge in data["edges"]]
    assert data["totalCount"] == len(nodes) == await AuditEvent.filter(subject_id=carla.id).count()
    assert [n["occurredAt"] for n in nodes] == sorted((n["occurredAt"] for n in nodes), reverse=True)
    actions = [n["action"] for n in nodes]
    assert actions[0] == "session.revoked_all" and "password.changed" not in actions  # mallory's stays hers
    assert actions[-3:] == ["something.new", "support.viewed_account", "login.failed"]

    by_action = {n["action"]: n for n in nodes}
    assert by_action["session.revoked_all"] == {
        **by_action["session.revoked_all"], "description": "Signed out of all devices", "byStaff": False,
        "ip": "127.0.0.1", "userAgent": "Carla/1.0",
    }
    assert by_action["login.failed"]["ip"] == "203.0.113.7" and by_action["login.failed"]["byStaff"] is False
    staff = by_action["support.viewed_account"]
    assert staff["byStaff"] is True and staff["description"] == "Support viewed your account"
    assert staff["ip"] is None and staff["userAgent"] is None  # staff's own addresses are not shown
    unknown = by_action["something.new"]
    assert unknown["description"] == "something.new" and unknown["byStaff"] is False and unknown["ip"] is None


async def test_events_page_with_cursors(client, services, clock):
    carla = await customer(services, "carla")
    for n in range(3):
        await audit.record(f"test.event{n}", clock=clock, subject=carla)
        clock.advance(timedelta(seconds=1))
    await client.login("carla", factories.TEST_PASSWORD)
    everything = [e["node"]["action"]
                  for e in (await client.execute(EVENTS, {"first": 50}))["viewer"]["securityEvents"]["edges"]]
    first = (await client.execute(EVENTS, {"first": 2}))["viewer"]["securityEvents"]
    rest = (await client.execute(EVENTS, {"first": 50, "after": first["pageInfo"]["endCursor"]}))
    paged = [e["node"]["action"] for e in first["edges"] + rest["viewer"]["securityEvents"]["edges"]]
    assert first["pageInfo"]["hasNextPage"] is True and paged == everything
    assert everything[-3:] == ["test.event2", "test.event1", "test.event0"]


async def test_node_fetches_only_your_own_events(client, services, clock):
    carla = await customer(services, "carla")
    mallory = await customer(services, "mallory")
    theirs = await audit.record("password.changed", clock=clock, actor=mallory, subject=mallory)
    mine = await audit.record("password.changed", clock=clock, actor=carla, subject=carla)
    await client.login("carla", factories.TEST_PASSWORD)
    query = "query($id: ID!) { node(id: $id) { ... on SecurityEvent { action description } } }"
    assert (await client.execute(query, {"id": to_base64("SecurityEvent", theirs.id)}))["node"] is None
    own = (await client.execute(query, {"id": to_base64("SecurityEvent", mine.id)}))["node"]
    assert own == {"action": "password.changed", "description": "Password changed"}


async def test_signed_out_viewer_has_no_events(client):
    assert (await client.execute("{ viewer { securityEvents { totalCount } } }"))["viewer"] is None


def run_verify_audit(settings_env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**os.environ, **settings_env, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "service.cli", "verify-audit"], check=False, cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)


async def test_verify_audit_command_reports_an_intact_or_broken_chain(services, clock, settings_env):
    for action in ("login.succeeded", "password.changed", "session.revoked"):
        await audit.record(action, clock=clock)
    ok = run_verify_audit(settings_env)
    assert ok.returncode == 0, ok.stderr
    assert "intact (3 events verified)" in ok.stdout

    middle = await AuditEvent.all().order_by("id").offset(1).first()
    await AuditEvent.filter(id=middle.id).update(action="password.reset")  # tampering behind the app's back
    broken = run_verify_audit(settings_env)
    assert broken.returncode == 1
    assert f"BROKEN at event {middle.id}" in broken.stderr and "edited" in broken.stderr
